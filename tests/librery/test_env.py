from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from librery.env import ConfigurationError, env_bool, env_int, env_list, env_str, env_url
from tests.services import is_postgresql, need

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def test_env_bool_accepts_only_true_or_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "True")
    assert env_bool("FLAG", default=False) is True
    monkeypatch.setenv("FLAG", "False")
    assert env_bool("FLAG", default=True) is False
    monkeypatch.setenv("FLAG", "yes")
    with pytest.raises(ConfigurationError, match="FLAG must be True or False, not 'yes'"):
        env_bool("FLAG", default=False)


def test_env_bool_default_when_unset_or_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", default=True) is True
    monkeypatch.setenv("FLAG", "  ")
    assert env_bool("FLAG", default=False) is False


def test_env_int_rejects_words_and_small_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("N", "12")
    assert env_int("N", default=0, minimum=0) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ConfigurationError, match="N must be a whole number"):
        env_int("N", default=0)
    monkeypatch.setenv("N", "-1")
    with pytest.raises(ConfigurationError, match="N must be at least 0"):
        env_int("N", default=0, minimum=0)


def test_env_list_rejects_empty_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", "a.example, b.example")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("HOSTS", "a.example,,b.example")
    with pytest.raises(ConfigurationError, match="HOSTS must be a comma-separated list"):
        env_list("HOSTS", [])


def test_env_url_checks_scheme_and_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/x")
    assert env_url("DATABASE_URL", schemes={"postgres"}) == "postgres://u@db.example:5432/x"
    monkeypatch.setenv("DATABASE_URL", "mysql://u@db/x")
    with pytest.raises(ConfigurationError, match="DATABASE_URL must be a URL with one of"):
        env_url("DATABASE_URL", schemes={"postgres"})
    monkeypatch.setenv("DATABASE_URL", "postgres:///x")
    with pytest.raises(ConfigurationError, match="must name a host"):
        env_url("DATABASE_URL", schemes={"postgres"})
    # The README's console:// needs no host.
    monkeypatch.setenv("EMAIL_URL", "console://")
    assert env_url("EMAIL_URL", schemes={"console", "smtp"}) == "console://"


def test_secret_read_from_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env_str("SECRET_KEY") == "s3cret"
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="SECRET_KEY_FILE: cannot read"):
        env_str("SECRET_KEY")


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "librery.settings.base"
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER,"
            " settings.DEBUG, settings.EMAIL_BACKEND)",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_embedded_default_is_sqlite_eager_console_and_debug_off() -> None:
    result = _settings_with({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "False",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_services_configured_from_environment() -> None:
    result = _settings_with(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "EMAIL_URL": "smtp+tls://user:pa%40ss@mail.example.org:587",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "False",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


@pytest.mark.django_db
def test_postgresql_sessions_run_without_jit() -> None:
    need(is_postgresql(), "JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be True or False"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL must be a URL with one of the schemes"),
        ({"REDIS_URL": "http://cache"}, "REDIS_URL must be a URL with one of the schemes"),
        ({"STRIPE_SECRET_KEY": "sk_test_x"}, "STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET"),
        ({"EMAIL_URL": "pop3://mail"}, "EMAIL_URL must be a URL with one of the schemes"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be DEBUG, INFO"),
    ],
)
def test_bad_environment_fails_loudly_naming_the_variable(
    env: dict[str, str], message: str
) -> None:
    result = _settings_with(env)
    assert result.returncode != 0
    assert "ConfigurationError" in result.stderr
    assert message in result.stderr
