"""Issue 9 finding 13: uploads are capped early, logos with too many pixels are
refused before decoding, and a replaced logo's file is deleted."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from PIL import Image, ImageFile
from pytest_django.fixtures import SettingsWrapper

from contributors.models import User
from librery.models import LogEntry
from projects.admin import ProjectAdmin
from projects.images import MAX_LOGO_PIXELS
from projects.models import FundingEntity, Maintainership, Project
from tests.projects.test_edit import FORM, _png, _url

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
FIFTY_MB = str(50 * 1024 * 1024)
BOUNDARY = "xyz"
# A small multipart body that announces 50 MB: reading it whole would fail
# (the test client's payload refuses reads past what it holds).
BODY = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="summary"\r\n\r\nx\r\n--{BOUNDARY}--\r\n'
).encode()


@pytest.fixture(autouse=True)
def _media(settings: SettingsWrapper, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def _big_post(client: Client, url: str, language: str = "") -> Any:
    extra: dict[str, Any] = {"CONTENT_LENGTH": FIFTY_MB}
    if language:
        extra["HTTP_ACCEPT_LANGUAGE"] = language
    return client.generic(
        "POST", url, BODY, content_type=f"multipart/form-data; boundary={BOUNDARY}", **extra
    )


def test_a_50_mb_logo_upload_is_refused_without_being_read(
    maintainer: Client, maintainer_user: User
) -> None:
    response = _big_post(maintainer, _url(maintainer_user))
    assert response.status_code == 413
    assert "The upload is too large: at most 2.5\xa0MB." in response.text
    assert not Maintainership.objects.get(user=maintainer_user).project.logo
    assert LogEntry.objects.filter(action="projects.project.edited").count() == 0


def test_a_50_mb_manifest_upload_is_refused_without_being_read(maintainer: Client) -> None:
    response = _big_post(maintainer, "/en/projects/manifest/")
    assert response.status_code == 413
    assert "The upload is too large: at most 376.5\xa0KB." in response.text
    assert FundingEntity.objects.count() == 0


def test_a_50_mb_manifest_upload_to_the_api_is_refused_without_being_read(
    maintainer: Client,
) -> None:
    response = _big_post(maintainer, "/api/v1/projects/manifests/", "en")
    assert response.status_code == 413
    assert response.json() == {
        "problems": [{"field": "file", "message": "The upload is too large: at most 376.5\xa0KB."}]
    }
    assert FundingEntity.objects.count() == 0


def test_django_caps_request_bodies(settings: SettingsWrapper) -> None:
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440


def _solid_png(width: int, height: int) -> bytes:
    """A grey PNG of width x height pixels, a few kB long, built without decoding."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    rows = (b"\x00" + b"\x80" * width) * 100
    idat = b"".join(compressor.compress(rows) for _ in range(height // 100))
    idat += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_a_6300_by_6300_logo_is_refused_before_decoding(
    maintainer: Client, maintainer_user: User, monkeypatch: Any
) -> None:
    raw = _solid_png(6_300, 6_300)
    assert len(raw) < 100_000
    assert struct.unpack(">II", raw[16:24]) == (6_300, 6_300)  # IHDR's width, height

    def no_decoding(self: Any) -> None:
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    logo = SimpleUploadedFile("logo.png", raw, "image/png")
    response = maintainer.post(_url(maintainer_user), {**FORM, "logo": logo})
    assert response.status_code == 400
    assert "The logo has too many pixels: at most 16 megapixels." in response.text
    assert not Maintainership.objects.get(user=maintainer_user).project.logo
    assert LogEntry.objects.filter(action="projects.project.edited").count() == 0


def test_the_pixel_cap_is_pillows_too() -> None:
    assert MAX_LOGO_PIXELS == 16_000_000
    assert Image.MAX_IMAGE_PIXELS == MAX_LOGO_PIXELS


def test_a_replaced_logo_file_is_deleted(
    maintainer: Client, maintainer_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    url = _url(maintainer_user)
    with django_capture_on_commit_callbacks(execute=True):
        first = maintainer.post(url, {**FORM, "logo": SimpleUploadedFile("a.png", _png(64, 64))})
    assert first.status_code == 302
    old = Maintainership.objects.get(user=maintainer_user).project.logo.name
    assert default_storage.exists(old)
    with django_capture_on_commit_callbacks(execute=True):
        second = maintainer.post(url, {**FORM, "logo": SimpleUploadedFile("b.png", _png(32, 32))})
    assert second.status_code == 302
    new = Maintainership.objects.get(user=maintainer_user).project.logo.name
    assert new != old
    assert default_storage.exists(new)
    assert not default_storage.exists(old)


def test_a_deleted_projects_logo_file_is_deleted(
    maintainer: Client,
    maintainer_user: User,
    admin_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        maintainer.post(
            _url(maintainer_user), {**FORM, "logo": SimpleUploadedFile("a.png", _png(64, 64))}
        )
    project = Maintainership.objects.get(user=maintainer_user).project
    name = project.logo.name
    assert default_storage.exists(name)
    request = RequestFactory().post("/")
    request.user = admin_user
    model_admin = ProjectAdmin(Project, site)
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.delete_queryset(request, Project.objects.filter(pk=project.pk))
    assert Project.objects.filter(pk=project.pk).count() == 0
    assert not default_storage.exists(name)
