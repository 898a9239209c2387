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
    "governance.ballot_reminders": {
        "task": "governance.ballot_reminders",
        "schedule": crontab(minute="*/15"),
    },
    "governance.ballots_close_due": {
        "task": "governance.ballots_close_due",
        "schedule": crontab(minute="*/5"),
    },
    "governance.ballots_open_due": {
        "task": "governance.ballots_open_due",
        "schedule": crontab(minute="*/5"),
    },
    "funds.check_books": {
        "task": "funds.check_books",
        "schedule": crontab(hour=4, minute=7),
    },
    "funds.issue_due_payment_requests": {
        "task": "funds.issue_due_payment_requests",
        "schedule": crontab(hour=6, minute=13),
    },
    # Daily: monthly pledges whose month is due, and retries of failed months.
    "funds.charge_due_pledges": {
        "task": "funds.charge_due_pledges",
        "schedule": crontab(hour=6, minute=13),
    },
    # Lost webhooks and interrupted charges, recovered from Stripe's lists.
    "funds.stripe_reconcile": {
        "task": "funds.stripe_reconcile",
        "schedule": crontab(minute=41),
    },
    # On the 1st at 03:00 (Paris, CELERY_TIMEZONE): the previous month's allocation.
    "allocation.run_month": {
        "task": "allocation.run_month",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),
    },
    # A run left `running` by a worker that died starts again.
    "allocation.resume_runs": {
        "task": "allocation.resume_runs",
        "schedule": crontab(minute="*/15"),
    },
    # A payout batch that a worker died making, for a report approved twice.
    "allocation.resume_batches": {
        "task": "allocation.resume_batches",
        "schedule": crontab(minute="7-59/15"),
    },
    # The fund's payouts on the uploaded statements, matched (paid or failed).
    "allocation.match_payouts": {
        "task": "allocation.match_payouts",
        "schedule": crontab(minute=23),
    },
}
