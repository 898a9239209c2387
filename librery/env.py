"""Strict environment parsing: every setting the platform reads from the
environment goes through these helpers, which fail loudly with the name of
the variable and what was expected, instead of guessing."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit


class ConfigurationError(Exception):
    """A variable of the environment has a value the platform cannot use."""


def _raw(name: str) -> str | None:
    """The value of NAME, or the content of the file named by NAME_FILE."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE: cannot read {file_name!r}: {exc}") from exc
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_required(name: str) -> str:
    value = _raw(name)
    if value is None:
        raise ConfigurationError(f"{name} must be set.")
    return value


def env_bool(name: str, *, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value in {"True", "true", "1"}:
        return True
    if value in {"False", "false", "0"}:
        return False
    raise ConfigurationError(f"{name} must be True or False, not {value!r}.")


def env_int(name: str, *, default: int, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ConfigurationError(f"{name} must be a comma-separated list without empty items.")
    return items


def env_url(name: str, *, schemes: set[str], default: str | None = None) -> str | None:
    value = _raw(name)
    if value is None:
        return default
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ConfigurationError(
            f"{name} must be a URL with one of the schemes {allowed}, not {parts.scheme!r}."
        )
    if parts.scheme not in {"sqlite", "console"} and not parts.hostname:
        raise ConfigurationError(f"{name} must name a host: {value!r}.")
    return value
