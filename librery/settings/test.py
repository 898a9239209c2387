"""Test settings: base plus what makes tests fast and hermetic. The database
and Redis come from the environment (CI points them at real servers)."""

from librery.settings.base import *  # noqa: F403
from librery.settings.base import BASE_DIR, DATABASES, REDIS_URL

# Each test clears the cache (rate limits, TOTP replay protection); a FLUSHDB on
# the Redis shared with the broker would drop queued tasks, so tests keep the
# cache in memory and use Redis as the broker only.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Pages are rendered afresh (tests change data behind the services' backs); the
# page cache's own tests turn it on.
PUBLIC_PAGE_CACHE_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests call services directly; the queue is tested with a real worker on Redis.
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["NAME"] = BASE_DIR / "var" / "test.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": None}
else:
    # Django empties the tables between transactional tests with TRUNCATE, which
    # the append-only tables refuse unless the session allows it (librery 0004).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c librery.truncate=allowed".strip()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "WARNING"},
}
