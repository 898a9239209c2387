"""funding.json round trip: a project imported from its maintainers' manifest
exports that manifest as they published it (entity, projects and guids, licences
as given, channels, plans, history), with The Librery as one more channel and
plan, valid against the official v1.0.0 and v1.1.0 schemas; compared field by
field with the source for each of the 18 real manifests."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from jsonschema import Draft7Validator

from projects import services
from projects.enums import ProjectStatus
from projects.fundingjson import SCHEMA_DIR, manifest_validate
from projects.models import Project
from projects.selectors import FUND_CHANNEL_GUID
from tests.projects.conftest import real_manifests

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
SCHEMAS = {
    version: Draft7Validator(
        json.loads((SCHEMA_DIR / f"schema-{version}.json").read_text(encoding="utf-8"))
    )
    for version in ("v1.0.0", "v1.1.0")
}


def differences(source: Any, exported: Any, path: str = "") -> list[str]:
    """Every place where `exported` does not hold exactly what `source` holds
    (numbers compared by value, keys and list lengths exactly)."""
    if isinstance(source, dict):
        if not isinstance(exported, dict) or set(source) != set(exported):
            return [f"{path}: keys {sorted(source)} became {sorted(exported or {})}"]
        return [
            d for key in source for d in differences(source[key], exported[key], f"{path}.{key}")
        ]
    if isinstance(source, list):
        if not isinstance(exported, list) or len(source) != len(exported):
            return [f"{path}: {len(source)} entries became {exported!r}"]
        return [
            d
            for i, item in enumerate(source)
            for d in differences(item, exported[i], f"{path}[{i}]")
        ]
    if isinstance(source, bool) or not isinstance(source, int | float):
        same = type(source) is type(exported) and source == exported
    else:
        same = not isinstance(exported, bool) and Decimal(str(source)) == Decimal(str(exported))
    return [] if same else [f"{path}: {source!r} became {exported!r}"]


def _import_and_admit(path: Path) -> list[Project]:
    result = services.funding_manifest_import(
        raw=path.read_bytes(), actor=None, manifest_url=f"https://x.test/{path.stem}/funding.json"
    )
    Project.objects.filter(entity=result.entity).update(status=ProjectStatus.ADMITTED)
    return result.created


@pytest.mark.parametrize("path", real_manifests(), ids=lambda p: p.stem)
def test_the_export_keeps_every_field_the_maintainers_published(
    path: Path, anonymous: Client
) -> None:
    source = json.loads(path.read_text(encoding="utf-8"))
    projects = _import_and_admit(path)
    assert len(projects) == len(source["projects"])
    for project in projects:
        response = anonymous.get(f"/projects/{project.slug}/funding.json")
        assert response.status_code == 200
        exported = json.loads(response.content)
        for version, schema in SCHEMAS.items():
            assert [e.message for e in schema.iter_errors(exported)] == [], version
        assert manifest_validate(exported) == []

        # Everything but the funding block is the source, field by field.
        assert (
            differences(
                {k: v for k, v in source.items() if k != "funding"},
                {k: v for k, v in exported.items() if k != "funding"},
            )
            == []
        )
        # The funding block is the source's with one channel and one plan added.
        funding, published = exported["funding"], source["funding"]
        channels, plans = published["channels"], published["plans"]
        assert differences(channels, funding["channels"][: len(channels)]) == []
        assert differences(plans, funding["plans"][: len(plans)]) == []
        rest = {k: v for k, v in published.items() if k not in ("channels", "plans")}
        assert differences(rest, {k: v for k, v in funding.items() if k in rest}) == []
        assert set(funding) == set(published)
        [channel] = funding["channels"][len(channels) :]
        [plan] = funding["plans"][len(plans) :]
        assert channel["guid"] == FUND_CHANNEL_GUID
        assert channel["address"] == f"http://127.0.0.1:8000/projects/{project.slug}/"
        assert (plan["channels"], plan["currency"], plan["amount"]) == (
            [FUND_CHANNEL_GUID],
            "EUR",
            0,
        )
        assert plan["guid"] not in {p["guid"] for p in plans}


def test_a_manifest_with_as_many_channels_as_allowed_is_exported_as_it_is(
    anonymous: Client, tmp_path: Path
) -> None:
    data = json.loads((real_manifests()[0]).read_text(encoding="utf-8"))
    template = data["funding"]["channels"][0]
    data["funding"]["channels"] = [{**template, "guid": f"channel-{n}"} for n in range(1, 11)]
    for plan in data["funding"]["plans"]:
        plan["channels"] = ["channel-1"]
    path = tmp_path / "full.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    [project, *_] = _import_and_admit(path)
    exported = anonymous.get(f"/projects/{project.slug}/funding.json").json()
    assert differences(data, exported) == []


def test_a_channel_guid_already_taken_is_not_reused(anonymous: Client, tmp_path: Path) -> None:
    data = json.loads((real_manifests()[0]).read_text(encoding="utf-8"))
    data["funding"]["channels"][0]["guid"] = FUND_CHANNEL_GUID
    for plan in data["funding"]["plans"]:
        plan["channels"] = [FUND_CHANNEL_GUID]
    path = tmp_path / "taken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    [project, *_] = _import_and_admit(path)
    exported = anonymous.get(f"/projects/{project.slug}/funding.json").json()
    assert [c["guid"] for c in exported["funding"]["channels"]][-2:] == [
        FUND_CHANNEL_GUID,
        f"{FUND_CHANNEL_GUID}-2",
    ]
    assert exported["funding"]["plans"][-1]["channels"] == [f"{FUND_CHANNEL_GUID}-2"]
    assert manifest_validate(exported) == []
