from __future__ import annotations

import logging
from typing import Any

from librery.logfilters import REDACTED, RedactTaskArguments
from librery.settings import base as base_settings


def _record(data: dict[str, object]) -> logging.LogRecord:
    record = logging.LogRecord("celery.app.trace", logging.INFO, __file__, 1, "done", (), None)
    record.data = data
    return record


def test_a_mail_task_s_arguments_never_reach_the_logs() -> None:
    record = _record(
        {
            "name": "librery.send_mail",
            "id": "abc",
            "args": "()",
            "kwargs": "{'rendered': {'body': 'http://x/confirm-email/SECRET/'}}",
        }
    )
    assert RedactTaskArguments().filter(record) is True
    assert record.data == {  # type: ignore[attr-defined]
        "name": "librery.send_mail",
        "id": "abc",
        "args": REDACTED,
        "kwargs": REDACTED,
    }


def test_other_tasks_and_records_are_left_as_they_are() -> None:
    data = {"name": "funds.check_books", "args": "()", "kwargs": "{}"}
    record = _record(dict(data))
    assert RedactTaskArguments().filter(record) is True
    assert record.data == data  # type: ignore[attr-defined]
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    assert RedactTaskArguments().filter(plain) is True
    assert not hasattr(plain, "data")


def test_the_console_handler_of_the_platform_redacts() -> None:
    logging_config: dict[str, Any] = base_settings.LOGGING
    assert logging_config["handlers"]["console"]["filters"] == ["redact_task_arguments"]
    assert logging_config["filters"]["redact_task_arguments"]["()"] is RedactTaskArguments or (
        logging_config["filters"]["redact_task_arguments"]["()"]
        == "librery.logfilters.RedactTaskArguments"
    )
