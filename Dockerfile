# The Librery, production image: gunicorn serves the web app; the same image
# runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    PATH="/app/.venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=librery.settings.base

# The app runs as an unprivileged user that owns nothing but /app/var.
RUN groupadd --system --gid 10001 librery \
    && useradd --system --uid 10001 --gid librery --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin librery

WORKDIR /app

# Locked dependencies first, so that a code change does not reinstall them.
RUN pip install uv==0.13.8
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev

COPY . .

# Static files are collected at build time: it needs no database and no secret
# (the settings' embedded defaults are enough for this step only).
RUN python manage.py collectstatic --noinput -v0 \
    && mkdir -p /app/var/media \
    && chown librery:librery /app/var /app/var/media

USER librery

EXPOSE 8000

# /healthz answers 200 when the database and the broker answer, 503 otherwise.
# The request carries SITE_URL's host (so that ALLOWED_HOSTS accepts it) and
# scheme (so that SECURE_SSL_REDIRECT behind a TLS proxy does not redirect);
# a redirect counts as a failure, and no HTTP proxy is used.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.parse as p, urllib.request as r; site = p.urlsplit(os.environ.get('SITE_URL') or 'http://localhost'); no_redirect = type('NoRedirect', (r.HTTPRedirectHandler,), {'redirect_request': lambda *a, **k: None}); r.build_opener(r.ProxyHandler({}), no_redirect).open(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': site.netloc, 'X-Forwarded-Proto': site.scheme}), timeout=4)"]

CMD ["gunicorn", "librery.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
