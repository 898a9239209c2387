"""The Celery application and the one place where the beat schedule is defined."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "librery.settings.base")

app = Celery("librery")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job of the platform, in one place. Each task is idempotent.
app.conf.beat_schedule = {
    "librery.worker_heartbeat": {
        "task": "librery.worker_heartbeat",
        "schedule": 60.0,
        "kwargs": {"worker_name": "beat"},
    },
    "librery.purge_old_heartbeats": {
        "task": "librery.purge_old_heartbeats",
        "schedule": crontab(hour=3, minute=17),
    },
}
