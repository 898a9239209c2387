"""The settings `manage.py bench_pages` serves with: the project's own, plus the
two baseline pages of the benchmark (`demo.bench_urls`)."""

import os

from librery.settings.base import *  # noqa: F403

ROOT_URLCONF = "demo.bench_urls"
# Static URLs without collectstatic's manifest (the benchmark asks for pages, never
# for their static files; with the manifest a fresh checkout's pages would fail).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each server of a run keys its cache apart (`bench_pages --compare-with` serves
# two volumes beside each other on one Redis, and their pages share paths).
if _bench_prefix := os.environ.get("BENCH_CACHE_PREFIX", ""):
    CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": _bench_prefix}}  # noqa: F405
