"""The settings `manage.py bench_pages` serves with: the project's own, plus the
two baseline pages of the benchmark (`demo.bench_urls`)."""

from librery.settings.base import *  # noqa: F403

ROOT_URLCONF = "demo.bench_urls"
# Static URLs without collectstatic's manifest (the benchmark asks for pages, never
# for their static files; with the manifest a fresh checkout's pages would fail).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
