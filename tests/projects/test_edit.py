from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from contributors.models import User
from librery.models import LogEntry
from projects.models import Maintainership

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
FORM = {
    "summary": "Cartographie",
    "summary_en": "Maps",
    "description": "",
    "description_en": "",
    "repository_url": "https://example.org/repo",
    "website_url": "",
    "licences": "MIT, GPL-3.0+",
    "tags": "maps, gis",
}


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 90)).save(out, format="PNG")
    return out.getvalue()


def _url(user: User) -> str:
    return f"/en/projects/{Maintainership.objects.get(user=user).project.slug}/edit/"


def test_maintainer_edits_with_spdx_licences_and_a_resized_logo(
    maintainer: Client, maintainer_user: User
) -> None:
    logo = SimpleUploadedFile("logo.png", _png(1024, 512), "image/png")
    response = maintainer.post(_url(maintainer_user), {**FORM, "logo": logo, "is_public": "on"})
    assert response.status_code == 302
    project = Maintainership.objects.get(user=maintainer_user).project
    assert project.licences == ["MIT", "GPL-3.0-or-later"]
    assert project.tags == ["maps", "gis"]
    assert project.summary_en == "Maps"
    with project.logo.open("rb") as handle, Image.open(handle) as image:
        assert (image.format, image.size) == ("PNG", (256, 128))
    entry = LogEntry.objects.get(action="projects.project.edited")
    assert "logo" in entry.data["fields"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"licences": "MIT, Beerware-ish"}, "Not in the SPDX licence list: Beerware-ish."),
        (
            {"logo": SimpleUploadedFile("logo.png", b"<svg></svg>", "image/png")},
            "This file is not an image that can be read.",
        ),
        (
            {"logo": SimpleUploadedFile("logo.png", b"x" * (2 * 1024 * 1024 + 1))},
            "The logo is too large: at most 2048 kB.",
        ),
        ({"repository_url": "javascript:alert(1)"}, "Enter a valid URL."),
    ],
)
def test_bad_input_changes_nothing(
    maintainer: Client, maintainer_user: User, changes: dict[str, object], message: str
) -> None:
    response = maintainer.post(_url(maintainer_user), {**FORM, **changes})
    assert response.status_code == 400
    assert message in response.text
    project = Maintainership.objects.get(user=maintainer_user).project
    assert project.licences == ["MIT"]
    assert not project.logo
    assert not LogEntry.objects.filter(action="projects.project.edited").exists()


def test_only_maintainers_edit(outsider: Client, maintainer_user: User) -> None:
    assert outsider.post(_url(maintainer_user), FORM).status_code == 404
