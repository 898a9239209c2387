"""Issue 9 finding 5: a funding.json too deep or with huge numbers is refused, not a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from projects.models import FundingEntity, Project

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
PAGE = "/en/projects/manifest/"
API = "/api/v1/projects/manifests/"
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a": ' * 70 + b"1" + b"}" * 70
HUGE_INT = b'{"version": "v1.0.0", "n": 1' + b"0" * 5_000 + b"}"
HUGE_FLOAT = b'{"version": "v1.0.0", "n": 0.' + b"1" * 5_000 + b"}"
DEPTH_MESSAGE = "The manifest is nested too deeply: at most 64 levels."
DIGITS_MESSAGE = "The manifest holds a number with too many digits: at most 40."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (DEEP, DEPTH_MESSAGE),
        (DEEP_OBJECT, DEPTH_MESSAGE),
        (HUGE_INT, DIGITS_MESSAGE),
        (HUGE_FLOAT, DIGITS_MESSAGE),
        (b'{"n": NaN}', "The manifest holds NaN, which is not a number in JSON."),
        (b'{"n": -Infinity}', "The manifest holds -Infinity, which is not a number in JSON."),
    ],
    ids=["deep-list", "deep-object", "huge-int", "huge-float", "nan", "infinity"],
)
def test_page_refuses_deep_or_huge_manifests(maintainer: Client, raw: bytes, message: str) -> None:
    response = maintainer.post(PAGE, {"file": SimpleUploadedFile("funding.json", raw)})
    assert response.status_code == 400
    assert message in response.text
    assert FundingEntity.objects.count() == 0
    assert Project.objects.filter(source="funding.json").count() == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [(DEEP, DEPTH_MESSAGE), (HUGE_INT, DIGITS_MESSAGE)],
    ids=["deep-list", "huge-int"],
)
def test_api_refuses_deep_or_huge_manifests(maintainer: Client, raw: bytes, message: str) -> None:
    response = maintainer.post(
        API, {"file": SimpleUploadedFile("funding.json", raw)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json() == {"problems": [{"field": "(document)", "message": message}]}
    assert FundingEntity.objects.count() == 0


def test_brackets_inside_strings_do_not_count(maintainer: Client) -> None:
    raw = b'{"version": "' + b"[" * 1_000 + b'"}'
    response = maintainer.post(
        API, {"file": SimpleUploadedFile("funding.json", raw)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    messages = [p["message"] for p in response.json()["problems"]]
    assert DEPTH_MESSAGE not in messages
    assert FundingEntity.objects.count() == 0
