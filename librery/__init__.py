"""The Librery: the project package (settings, urls, Celery app, shared plumbing)."""

from librery.celery import app as celery_app

__all__ = ["celery_app"]
