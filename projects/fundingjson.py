"""The FLOSS/fund `funding.json` manifest (v1.0.0 and v1.1.0): parsing and validation.

Two layers, as the reference tooling has them: the published JSON Schema, then
the rules of the reference validator (lengths in bytes, counts, GUIDs, channel
references, `spdx:` licences, `wellKnown` placement). Every problem names its
field (``projects[0].licenses[1]``) and says what is wrong, in the user's language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError as SchemaError

from librery.validators import refuse_invisible_controls
from projects.errors import ProjectsError
from projects.licences import spdx_normalise

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "funding-json"
MAX_MANIFEST_BYTES = 320_000  # what the FLOSS/fund crawler reads at most
WELL_KNOWN_SUFFIX = "/.well-known/funding-manifest-urls"
_GUID = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$")
_PHONE = re.compile(r"^\+?[0-9]+(?:-[0-9]+)*$")
_TAG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MAX_AMOUNT = Decimal(1_000_000_000)
_MIN_YEAR, _MAX_YEAR = 1970, 2075
MAX_MANIFEST_DEPTH = 64  # nesting of arrays and objects; the schema needs 5
MAX_NUMBER_DIGITS = 40  # characters of one number; amounts need 13
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ManifestError(ProjectsError):
    """The manifest is not valid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@cache
def _validator(version: str) -> Draft7Validator:
    schema = json.loads((SCHEMA_DIR / f"schema-{version}.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema)


class _NumberError(ValueError):
    """A number the manifest may not hold; the message says why (translated)."""


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, brackets inside strings left out
    (checked before decoding: the decoder recurses once per level)."""
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        piece = match.group()
        if piece in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif piece in "]}":
            depth -= 1
    return deepest


def _number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """A decoder hook for numbers that refuses one over MAX_NUMBER_DIGITS characters
    before converting it (a 5 000-digit integer would raise ValueError)."""

    def convert(value: str) -> Any:
        if len(value) > MAX_NUMBER_DIGITS:
            raise _NumberError(
                _("The manifest holds a number with too many digits: at most %(max)d.")
                % {"max": MAX_NUMBER_DIGITS}
            )
        return kind(value)

    return convert


def _constant(value: str) -> Any:
    raise _NumberError(
        _("The manifest holds %(value)s, which is not a number in JSON.") % {"value": value}
    )


def manifest_parse(raw: bytes) -> dict[str, Any]:
    """Decode a manifest's bytes (numbers as Decimal, never float)."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(
            [
                Problem(
                    "(document)",
                    _("The manifest is too large: %(size)d bytes, at most %(max)d.")
                    % {"size": len(raw), "max": MAX_MANIFEST_BYTES},
                )
            ]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ManifestError([Problem("(document)", _("The manifest is not UTF-8 text."))]) from None
    if _depth(text) > MAX_MANIFEST_DEPTH:
        raise ManifestError(
            [
                Problem(
                    "(document)",
                    _("The manifest is nested too deeply: at most %(max)d levels.")
                    % {"max": MAX_MANIFEST_DEPTH},
                )
            ]
        )
    try:
        data = json.loads(
            text,
            parse_float=_number(Decimal),
            parse_int=_number(int),
            parse_constant=_constant,
        )
    except _NumberError as exc:
        raise ManifestError([Problem("(document)", str(exc))]) from None
    except json.JSONDecodeError as exc:
        raise ManifestError(
            [
                Problem(
                    "(document)",
                    _("The manifest is not valid JSON (line %(line)d, column %(col)d: %(msg)s).")
                    % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
                )
            ]
        ) from None
    if not isinstance(data, dict):
        raise ManifestError([Problem("(document)", _("The manifest must be a JSON object."))])
    return data


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


_TYPE_NAMES = {
    "string": gettext_lazy("text"),
    "array": gettext_lazy("list"),
    "object": gettext_lazy("object"),
    "number": gettext_lazy("number"),
    "integer": gettext_lazy("whole number"),
}


_SCHEMA_MESSAGES: dict[str, Callable[[Any, Any], str]] = {
    "type": lambda value, _instance: _("Wrong type: expected %(type)s.")
    % {"type": _TYPE_NAMES.get(str(value), str(value))},
    "enum": lambda value, instance: _("“%(value)s” is not one of: %(choices)s.")
    % {"value": instance, "choices": ", ".join(str(v) for v in value)},
    "maxLength": lambda value, _instance: _("Too long: at most %(max)d characters.")
    % {"max": value},
    "maxItems": lambda value, _instance: _("Too many entries: at most %(max)d.") % {"max": value},
    "pattern": lambda _value, instance: _("“%(value)s” does not have the expected format.")
    % {"value": instance},
}


def _schema_message(error: SchemaError) -> tuple[str, str]:
    """(field, message) for one JSON Schema error, in the user's language."""
    field = _path(error.absolute_path)
    kind, value = error.validator, error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        field = f"{field}.{missing}" if field != "(document)" else missing
        return field, _("This field is required.")
    builder = _SCHEMA_MESSAGES.get(str(kind))
    if builder is not None:
        return field, builder(value, error.instance)
    return field, _("Not valid: %(detail)s") % {"detail": error.message}


def _schema_version(data: dict[str, Any]) -> str:
    return "v1.0.0" if data.get("version") == "v1.0.0" else "v1.1.0"


def _nbytes(value: str) -> int:
    return len(value.encode("utf-8"))


class _Checker:
    """The reference validator's rules, applied to a schema-valid manifest."""

    def __init__(self, data: dict[str, Any], manifest_url: str) -> None:
        self.data = data
        self.manifest_url = manifest_url
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def length(self, field: str, value: Any, low: int, high: int) -> None:
        if not isinstance(value, str):
            return
        size = _nbytes(value)
        if size < low or size > high:
            self.add(
                field,
                _("Must be %(low)d to %(high)d bytes long (it is %(size)d).")
                % {"low": low, "high": high, "size": size},
            )

    def visible(self, field: str, value: Any) -> None:
        """Names hold no invisible control or bidirectional character."""
        try:
            refuse_invisible_controls(value)
        except ValidationError as exc:
            self.add(field, " ".join(exc.messages))

    def count(self, field: str, items: Any, low: int, high: int) -> list[Any]:
        entries: list[Any] = items if isinstance(items, list) else []
        if not low <= len(entries) <= high:
            self.add(
                field,
                _("Must have %(low)d to %(high)d entries (it has %(count)d).")
                % {"low": low, "high": high, "count": len(entries)},
            )
        return entries

    def guid(self, field: str, value: Any, seen: set[str]) -> None:
        if not isinstance(value, str):
            return
        if not 3 <= len(value) <= 32 or not _GUID.match(value):  # noqa: PLR2004 -- the rule
            self.add(
                field,
                _(
                    "“%(value)s” is not a valid identifier: 3 to 32 lowercase letters, digits "
                    "and single dashes, starting and ending with a letter or digit."
                )
                % {"value": value},
            )
        elif value in seen:
            self.add(field, _("“%(value)s” is used twice; it must be unique.") % {"value": value})
        seen.add(value)

    def number(self, field: str, value: Any, low: Decimal, high: Decimal) -> None:
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return
        if not low <= number <= high:
            self.add(
                field,
                _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high},
            )

    def url(self, field: str, value: Any) -> None:
        if not isinstance(value, dict):
            return
        url = value.get("url", "")
        self.length(f"{field}.url", url, 10, 250)
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
            self.add(f"{field}.url", _("Must be an http or https address with a host."))
            return
        well_known = value.get("wellKnown") or ""
        if well_known and not self._covered(url):
            self._well_known(f"{field}.wellKnown", url, well_known)

    def _covered(self, url: str) -> bool:
        """Whether the manifest's own location vouches for `url` (no wellKnown needed)."""
        if not self.manifest_url:
            return False
        target, manifest = urlsplit(url), urlsplit(self.manifest_url)
        if target.hostname != manifest.hostname:
            return False
        base = manifest.path.removesuffix("funding.json")
        if base in {"", "/"}:
            return True
        path = target.path.rstrip("/") + "/"
        if path.startswith(base) or base.startswith(path):
            return True
        segments = manifest.path.strip("/").split("/")
        return (
            manifest.hostname == "github.com"
            and len(segments) >= 2  # noqa: PLR2004 -- <user>/<user>
            and segments[0] == segments[1]
            and target.path.strip("/").split("/")[0] == segments[0]
        )

    def _well_known(self, field: str, url: str, well_known: str) -> None:
        target, known = urlsplit(url), urlsplit(well_known)
        if known.scheme not in {"http", "https"} or not known.path.endswith(WELL_KNOWN_SUFFIX):
            self.add(
                field, _("Must be an http(s) address ending in %(s)s.") % {"s": WELL_KNOWN_SUFFIX}
            )
            return
        if known.hostname != target.hostname:
            self.add(field, _("Must be on the same host as the address it vouches for."))
            return
        prefix = known.path.removesuffix(WELL_KNOWN_SUFFIX)
        under = (target.path.rstrip("/") + "/").startswith(prefix.rstrip("/") + "/")
        if prefix not in {"", "/"} and not under and not prefix.startswith(target.path.rstrip("/")):
            self.add(field, _("Must sit at the root of the host or under the address's path."))

    def run(self) -> list[Problem]:
        data = self.data
        version = str(data.get("version", ""))
        if not re.match(r"^v1(\.|$)", version):
            self.add("version", _("Must be a v1 version such as v1.0.0 or v1.1.0."))
        self._entity(data.get("entity") or {})
        projects = self.count("projects", data.get("projects"), 1, 30)
        seen: set[str] = set()
        for index, project in enumerate(projects):
            self._project(f"projects[{index}]", project, seen)
        funding = data.get("funding") or {}
        channels = self.count("funding.channels", funding.get("channels"), 1, 10)
        channel_ids: set[str] = set()
        for index, channel in enumerate(channels):
            field = f"funding.channels[{index}]"
            self.guid(f"{field}.guid", channel.get("guid"), channel_ids)
            self.length(f"{field}.address", channel.get("address", ""), 0, 250)
            self.length(f"{field}.description", channel.get("description", ""), 0, 500)
        plans = self.count("funding.plans", funding.get("plans"), 1, 10)
        plan_ids: set[str] = set()
        for index, plan in enumerate(plans):
            self._plan(f"funding.plans[{index}]", plan, plan_ids, channel_ids)
        for index, item in enumerate(funding.get("history") or []):
            field = f"funding.history[{index}]"
            self.number(f"{field}.year", item.get("year"), Decimal(_MIN_YEAR), Decimal(_MAX_YEAR))
            for key in ("income", "expenses"):
                if key in item:
                    self.number(f"{field}.{key}", item[key], Decimal(0), _MAX_AMOUNT)
            self.length(f"{field}.description", item.get("description", ""), 0, 500)
        return self.problems

    def _entity(self, entity: dict[str, Any]) -> None:
        self.length("entity.name", entity.get("name"), 2, 250)
        self.visible("entity.name", entity.get("name"))
        email = entity.get("email", "")
        self.length("entity.email", email, 3, 250)
        try:
            validate_email(email)
        except ValidationError:
            self.add("entity.email", _("“%(value)s” is not an e-mail address.") % {"value": email})
        phone = entity.get("phone") or ""
        if phone and (len(phone) > 32 or not _PHONE.match(phone)):  # noqa: PLR2004 -- the rule
            self.add(
                "entity.phone",
                _("Digits only, with an optional leading + and dashes between groups."),
            )
        self.length("entity.description", entity.get("description"), 5, 2000)
        self.url("entity.webpageUrl", entity.get("webpageUrl"))

    def _project(self, field: str, project: dict[str, Any], seen: set[str]) -> None:
        self.guid(f"{field}.guid", project.get("guid"), seen)
        self.length(f"{field}.name", project.get("name"), 1, 250)
        self.visible(f"{field}.name", project.get("name"))
        self.length(f"{field}.description", project.get("description"), 5, 2000)
        self.url(f"{field}.webpageUrl", project.get("webpageUrl"))
        self.url(f"{field}.repositoryUrl", project.get("repositoryUrl"))
        licences = self.count(f"{field}.licenses", project.get("licenses"), 1, 5)
        for index, licence in enumerate(licences):
            self.length(f"{field}.licenses[{index}]", licence, 2, 64)
            if (
                isinstance(licence, str)
                and licence.lower().startswith("spdx:")
                and spdx_normalise(licence) is None
            ):
                self.add(
                    f"{field}.licenses[{index}]",
                    _("“%(value)s” is not in the SPDX licence list.") % {"value": licence},
                )
        tags = self.count(f"{field}.tags", project.get("tags"), 1, 10)
        for index, tag in enumerate(tags):
            if isinstance(tag, str) and (
                not 2 <= len(tag) <= 32 or not _TAG.match(tag)  # noqa: PLR2004 -- the rule
            ):
                self.add(
                    f"{field}.tags[{index}]",
                    _("“%(value)s”: 2 to 32 lowercase letters or digits joined by dashes.")
                    % {"value": tag},
                )

    def _plan(
        self, field: str, plan: dict[str, Any], seen: set[str], channel_ids: set[str]
    ) -> None:
        self.guid(f"{field}.guid", plan.get("guid"), seen)
        self.length(f"{field}.name", plan.get("name"), 3, 250)
        self.visible(f"{field}.name", plan.get("name"))
        self.length(f"{field}.description", plan.get("description", ""), 0, 500)
        self.number(f"{field}.amount", plan.get("amount"), Decimal(0), _MAX_AMOUNT)
        for index, channel in enumerate(plan.get("channels") or []):
            if channel not in channel_ids:
                self.add(
                    f"{field}.channels[{index}]",
                    _("“%(value)s” is not one of the channels defined in funding.channels.")
                    % {"value": channel},
                )


def _schema_problems(data: dict[str, Any]) -> Iterator[Problem]:
    for error in sorted(
        _validator(_schema_version(data)).iter_errors(data), key=lambda e: list(e.absolute_path)
    ):
        field, message = _schema_message(error)
        yield Problem(field, message)


def manifest_validate(data: dict[str, Any], *, manifest_url: str = "") -> list[Problem]:
    """Every problem of a decoded manifest (an empty list when it is valid)."""
    problems = list(_schema_problems(data))
    if problems:
        return problems
    return _Checker(data, manifest_url).run()


def manifest_load(raw: bytes, *, manifest_url: str = "") -> dict[str, Any]:
    """Parse and validate; raise ManifestError listing every problem."""
    data = manifest_parse(raw)
    problems = manifest_validate(data, manifest_url=manifest_url)
    if problems:
        raise ManifestError(problems)
    return data
