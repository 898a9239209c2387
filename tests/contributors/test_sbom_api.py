"""`POST /api/v1/sbom-matches/` (issue 15): an SBOM's matches and proposed split."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contributors.models import Sbom
from tests.contributors.sbom_catalogue import ASVS, FLASK, sbom_bytes, seed_catalogue

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
URL = "/api/v1/sbom-matches/"


def _file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sbom_bytes(name), "application/json")


def test_matches_and_the_proposed_split(contributor):
    catalogue = seed_catalogue()
    response = contributor.post(URL, {"file": _file(FLASK), "mode": "components"})
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("format", "spec_version", "components", "mode", "cap_bp")} == {
        "format": "SPDX",
        "spec_version": "2.3",
        "components": 116,
        "mode": "components",
        "cap_bp": 5000,
    }
    assert [(m["name"], len(m["components"]), m["direct"]) for m in body["matched"]] == [
        ("GitHub Actions", 10, True),
        ("Requests", 1, True),
        ("urllib3", 1, True),
    ]
    assert body["matched"][1]["components"] == ["pkg:pypi/requests@2.32.5"]
    assert body["proposal"] == [
        {"project": catalogue["actions"].pk, "slug": catalogue["actions"].slug, "share_bp": 4167},
        {"project": catalogue["requests"].pk, "slug": catalogue["requests"].slug, "share_bp": 417},
        {"project": catalogue["urllib3"].pk, "slug": catalogue["urllib3"].slug, "share_bp": 416},
    ]
    assert len(body["unmatched"]) == 104
    asvs = contributor.post(URL, {"file": _file(ASVS)}).json()
    assert asvs["mode"] == "direct"
    assert [(m["name"], m["status"]) for m in asvs["not_admitted"]] == [
        ("CodeQL Action", "proposed"),
        ("Pillow", "suspended"),
    ]
    assert Sbom.objects.count() == 0  # read, not stored


def test_bad_input_and_anonymous(contributor, anonymous):
    bad = SimpleUploadedFile("bom.json", b"{}", "application/json")
    response = contributor.post(URL, {"file": bad}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "This JSON file is not an SBOM: a CycloneDX document "
            "has “bomFormat”: “CycloneDX”, an SPDX document has "
            "“spdxVersion”."
        ]
    }
    assert contributor.post(URL, {}).status_code == 400
    assert contributor.post(URL, {"file": _file(ASVS), "mode": "nope"}).status_code == 400
    assert anonymous.post(URL, {"file": _file(ASVS)}).status_code == 403


def test_in_the_openapi_schema(anonymous):
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/sbom-matches/" in schema
    assert "SbomMatch" in schema
