"""Logging filters: what must never reach the logs."""

from __future__ import annotations

import logging

# Tasks whose arguments hold secrets: a mail's text carries confirmation and
# password-reset links, which are credentials.
SECRET_ARGUMENT_TASKS = frozenset({"librery.send_mail"})
REDACTED = "[redacted]"


class RedactTaskArguments(logging.Filter):
    """Celery logs a task's arguments (and its result) with each run; for the
    tasks above they are replaced by a marker, the rest of the record kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        data = getattr(record, "data", None)
        if isinstance(data, dict) and data.get("name") in SECRET_ARGUMENT_TASKS:
            record.data = {
                **data,
                **{key: REDACTED for key in ("args", "kwargs") if key in data},
            }
        return True
