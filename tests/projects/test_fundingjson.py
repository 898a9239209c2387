from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from projects import selectors
from projects.fundingjson import (
    MAX_MANIFEST_BYTES,
    ManifestError,
    Problem,
    manifest_load,
    manifest_validate,
)
from tests.factories import ProjectFactory
from tests.projects.conftest import FUNDING_JSON_DIR, invalid_manifests, real_manifests

DDEV = FUNDING_JSON_DIR / "ddev__ddev.json"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_messages_follow_the_language() -> None:
    data = _ddev()
    data["entity"].pop("email")
    with translation.override("fr"):
        assert manifest_validate(data) == [Problem("entity.email", "Ce champ est obligatoire.")]


def _ddev() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DDEV.read_text(encoding="utf-8"))
    return data


def test_the_shared_corpus_is_there() -> None:
    assert len(real_manifests()) == 18
    assert len(invalid_manifests()) == 2


@pytest.mark.parametrize("path", real_manifests(), ids=lambda p: p.name)
def test_every_real_valid_manifest_passes(path: Path) -> None:
    data = manifest_load(path.read_bytes())
    assert data["projects"]


def test_dangling_channel_reference_is_named() -> None:
    raw = (FUNDING_JSON_DIR / "invalid-NativePHP__nativephp.com.json").read_bytes()
    with pytest.raises(ManifestError) as caught:
        manifest_load(raw)
    assert caught.value.problems[0] == Problem(
        "funding.plans[0].channels[0]",
        "“github-sponsors” is not one of the channels defined in funding.channels.",
    )
    assert len(caught.value.problems) == 8


def test_null_history_is_a_wrong_type() -> None:
    raw = (FUNDING_JSON_DIR / "invalid-netbirdio__netbird.json").read_bytes()
    with pytest.raises(ManifestError) as caught:
        manifest_load(raw)
    assert caught.value.problems == [Problem("funding.history", "Wrong type: expected list.")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["projects"][0]["tags"].append("TPM"),
            Problem("projects[0].tags[3]", "“TPM” does not have the expected format."),
        ),
        (
            lambda d: d["projects"][0].__setitem__("licenses", ["spdx:Not-A-Licence"]),
            Problem(
                "projects[0].licenses[0]", "“spdx:Not-A-Licence” is not in the SPDX licence list."
            ),
        ),
        (
            lambda d: d["entity"].__setitem__("type", "company"),
            Problem(
                "entity.type",
                "“company” is not one of: individual, group, organisation, other.",
            ),
        ),
        (
            lambda d: d["entity"].__setitem__("name", 42),
            Problem("entity.name", "Wrong type: expected text."),
        ),
        (
            lambda d: d["entity"].pop("email"),
            Problem("entity.email", "This field is required."),
        ),
        (
            lambda d: d["funding"]["plans"][0].__setitem__("frequency", "annual"),
            Problem(
                "funding.plans[0].frequency",
                "“annual” is not one of: one-time, weekly, fortnightly, monthly, yearly, other.",
            ),
        ),
        (
            lambda d: d["projects"].append(dict(d["projects"][0])),
            Problem("projects[1].guid", "“ddev” is used twice; it must be unique."),
        ),
        (
            lambda d: d["entity"].__setitem__("email", "DDEV <accounts@ddev.com>"),
            Problem("entity.email", "“DDEV <accounts@ddev.com>” is not an e-mail address."),
        ),
        (
            lambda d: d.__setitem__("version", "v2.0.0"),
            Problem("version", "Must be a v1 version such as v1.0.0 or v1.1.0."),
        ),
        (
            lambda d: d["projects"][0]["webpageUrl"].__setitem__(
                "wellKnown", "https://evil.example/.well-known/funding-manifest-urls"
            ),
            Problem(
                "projects[0].webpageUrl.wellKnown",
                "Must be on the same host as the address it vouches for.",
            ),
        ),
    ],
)
def test_each_bad_field_is_named(change: Any, expected: Problem) -> None:
    data = _ddev()
    change(data)
    assert expected in manifest_validate(data)


def test_malformed_and_huge_manifests() -> None:
    with pytest.raises(ManifestError, match=r"not valid JSON \(line 1, column 2"):
        manifest_load(b"{oops")
    with pytest.raises(ManifestError, match="must be a JSON object"):
        manifest_load(b"[]")
    with pytest.raises(ManifestError, match="too large"):
        manifest_load(b" " * (MAX_MANIFEST_BYTES + 1))
    with pytest.raises(ManifestError, match="not UTF-8"):
        manifest_load(b"\xff\xfe{}")


def test_amounts_are_never_floats() -> None:
    raw = DDEV.read_bytes().replace(b'"amount": 0', b'"amount": 12.5', 1)
    amounts = [p["amount"] for p in manifest_load(raw)["funding"]["plans"]]
    assert not any(isinstance(a, float) for a in amounts)


@pytest.mark.django_db
def test_our_own_funding_json_is_valid() -> None:
    project = ProjectFactory.create(
        name="Données ouvertes",
        slug="donnees-ouvertes",
        licences=["GPL-2.0-only", "MPL 2.0 et EPL"],
        tags=["Données et contenu", "Compression décompression"],
        summary="",
    )
    manifest = selectors.project_funding_manifest(
        project=project, site_url="https://librery.example.org"
    )
    assert manifest_validate(json.loads(json.dumps(manifest))) == []
    entry = manifest["projects"][0]
    assert entry["licenses"] == ["spdx:GPL-2.0-only", "MPL 2.0 et EPL"]
    assert entry["tags"] == ["donnees-et-contenu", "compression-decompression"]
    assert entry["webpageUrl"]["url"] == "https://librery.example.org/projects/donnees-ouvertes/"
