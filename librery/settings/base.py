"""Settings of The Librery. Everything lives here; production differs from a
developer's machine only by the environment (see the README's table)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from librery.env import (
    ConfigurationError,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_url,
)

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# --- Core ------------------------------------------------------------------

DEBUG = env_bool("DEBUG", default=False)
# The embedded default runs with a public, well-known key; `check --deploy` refuses
# it (its "django-insecure-" prefix), so production must set SECRET_KEY.
SECRET_KEY = (
    env_str("SECRET_KEY") or "django-insecure-embedded-default-key-set-SECRET_KEY-in-production"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
SITE_URL = (
    env_url("SITE_URL", schemes={"http", "https"}, default="http://127.0.0.1:8000") or ""
).rstrip("/")
# The name the site gives itself in emails.
SITE_NAME = env_str("SITE_NAME", "The Librery") or "The Librery"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])
CSRF_FAILURE_VIEW = "librery.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "librery.apps.LibreryConfig",
    "contributors.apps.ContributorsConfig",
    "projects.apps.ProjectsConfig",
    "funds.apps.FundsConfig",
    "governance.apps.GovernanceConfig",
    "allocation.apps.AllocationConfig",
    "demo.apps.DemoConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "librery.middleware.RequestLogMiddleware",
    # Anonymous public pages from the cache, before the session, locale, CSRF and
    # authentication work they do not need (librery/pagecache.py).
    "librery.pagecache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "librery.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "librery.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "librery.middleware.StaffMFARequiredMiddleware",
]

ROOT_URLCONF = "librery.urls"
WSGI_APPLICATION = "librery.wsgi.application"
AUTH_USER_MODEL = "contributors.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "librery.context_processors.site",
                "librery.context_processors.language_links",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------

_database_url = env_url("DATABASE_URL", schemes={"postgres", "postgresql", "sqlite"})
DATABASES: dict[str, dict[str, Any]]
if _database_url is None:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "var" / "librery.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
else:
    DATABASES = {"default": dict(dj_database_url.parse(_database_url, conn_max_age=60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        # No JIT: the platform's queries are short, and a large cost estimate
        # (a sum over years of ledger legs) once cost 678 ms of compilation for
        # 12 ms of work (issue 16). A URL's own `?options=` wins.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DATABASES["default"]["ATOMIC_REQUESTS"] = False

# --- Cache, Celery ---------------------------------------------------------

REDIS_URL = env_url("REDIS_URL", schemes={"redis", "rediss"})
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "librery",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Anonymous public pages and API lists from the cache (librery/pagecache.py): at most
# this old for what no service invalidates (a receipt between two runs); 0 turns it off.
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", default=300, minimum=0)

# With no broker, the embedded default runs tasks in-process (as pretix does).
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Longer than any task, so that a slow task is not delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TIMEZONE = "Europe/Paris"
# Workers log through Django's LOGGING (JSON lines), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Email -----------------------------------------------------------------


def _email_settings(url: str | None) -> dict[str, object]:
    """EMAIL_URL: console:// (default), smtp://user:pass@host:port, smtp+tls://…
    (STARTTLS), smtps://… (implicit TLS); `?from=` sets the sender."""
    if url is None:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    result: dict[str, object] = {}
    if "from" in query:
        result["DEFAULT_FROM_EMAIL"] = query["from"][0]
    if parts.scheme == "console":
        result["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"
        return result
    result.update(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 587),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_TIMEOUT": 20,
        }
    )
    return result


DEFAULT_FROM_EMAIL = "The Librery <noreply@librery.localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
globals().update(
    _email_settings(env_url("EMAIL_URL", schemes={"console", "smtp", "smtp+tls", "smtps"}))
)

# --- Stripe (the gateway in funds/stripe/ is the only reader) ------------

STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_url("STRIPE_API_BASE", schemes={"http", "https"})
# Seconds a call waits for Stripe's answer before it is retried (twice) or fails.
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", default=20, minimum=1)
# Stripe.js, allowed by the Content Security Policy on the payment pages only.
STRIPE_JS_URL = env_url(
    "STRIPE_JS_URL", schemes={"http", "https"}, default="https://js.stripe.com/v3/"
)
USE_STRIPE = STRIPE_SECRET_KEY is not None
if USE_STRIPE and not (STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET):
    raise ConfigurationError(
        "STRIPE_SECRET_KEY is set: STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET must be too."
    )

# --- The fund's bank account (payment requests for bank transfers) --------

FUND_NAME = env_str("FUND_NAME", "The Librery (fictional demo fund)") or ""
FUND_IBAN = env_str("FUND_IBAN", "FR7699999000010000000012337") or ""  # bank code 99999: fictional
FUND_BIC = env_str("FUND_BIC", "LIBRFRP1XXX") or ""  # fictional
try:
    FUND_IBAN = str(IBAN(FUND_IBAN))
    FUND_BIC = str(BIC(FUND_BIC))
except SchwiftyException as error:
    raise ConfigurationError(f"FUND_IBAN or FUND_BIC is not valid: {error}") from None

# --- Accounts (django-allauth) --------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "contributors.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# The sign-up form also asks for the name shown publicly (never the email's start).
ACCOUNT_SIGNUP_FORM_CLASS = "contributors.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Every mail's subject starts so: the platform's (librery.mail), allauth's and
# the error reports' alike.
EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_EMAIL_SUBJECT_PREFIX = EMAIL_SUBJECT_PREFIX
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme or "https"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
# Behind reverse proxies, the client's address is the X-Forwarded-For entry
# this many places from its end (0: the header is ignored, REMOTE_ADDR counts).
# Rate limits are keyed on it: allauth's and ours (`librery/ratelimits.py`).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0, minimum=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# The platform's own limits, per user (per client address when anonymous).
LIBRERY_RATE_LIMITS = {
    "manifest": "20/h",  # funding.json imports (upload or fetch), page and API
    "claim": "30/h",  # claim pages opened and claims verified (a fetch each)
    "pledge": "20/h",  # pledges submitted
    "invitation": "30/h",  # organisation invitations (member additions)
    "approval": "10/h",  # disbursement approvals (each asks the password and a TOTP code)
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
MFA_RECOVERY_CODE_COUNT = 10

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["librery.formats"]  # short English dates without month/day order
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Uploads -----------------------------------------------------------------
# Non-file form data is capped at 2.5 MB (a bigger body of fields is refused with
# 400); files above 2.5 MB go to a temporary file instead of memory. Each view
# that takes a file also refuses a larger Content-Length before reading the body
# (projects/uploads.py; a view that needs a larger file raises its own cap), and
# the reverse proxy caps every body (docs/operations.md, client_max_body_size).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_000
# A CAMT.053 statement administrators upload: a month of a busy account (tens of
# thousands of entries) fits; larger files are refused with this limit named.
STATEMENT_MAX_BYTES = env_int("STATEMENT_MAX_BYTES", default=50 * 1024 * 1024, minimum=1)

# --- Security ----------------------------------------------------------------

_secure = env_bool("SECURE_COOKIES", default=not DEBUG and SITE_URL.startswith("https"))
SESSION_COOKIE_SECURE = _secure
LANGUAGE_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0
)
# Preloading is hard to undo: it is asked for explicitly.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- REST API ----------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "The Librery API",
    "DESCRIPTION": "A transparent collective fund for open-source software.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Django's path converters, as they match: a path that does not match is
    # Django's own 404 page, outside the API (and outside its schema).
    "PATH_CONVERTER_OVERRIDES": {
        "int": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807},
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
    },
}

# --- Logging (one JSON object a line) ---------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO") or "INFO"
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ConfigurationError(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC
        },
    },
    "filters": {"redact_task_arguments": {"()": "librery.logfilters.RedactTaskArguments"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
            "filters": ["redact_task_arguments"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Fund --------------------------------------------------------------------

LIBRERY_DEMO = env_bool("LIBRERY_DEMO", default=False)
# Tests only: an allocation run waits this many seconds inside its transaction,
# once its receipts are taken, so that a test can kill its worker there.
LIBRERY_ALLOCATION_PAUSE_SECONDS = env_int("LIBRERY_ALLOCATION_PAUSE_SECONDS", default=0, minimum=0)
