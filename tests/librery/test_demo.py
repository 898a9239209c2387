from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import CommandError, call_command
from django.test import Client

from contributors.models import Contributor, User
from librery import demo
from projects.enums import ProjectStatus
from projects.models import Maintainership, Project

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_demo_data_refuses_without_demo_mode(settings: Any) -> None:
    settings.LIBRERY_DEMO = False
    with pytest.raises(CommandError, match="only with LIBRERY_DEMO=True"):
        call_command("load_demo")
    with pytest.raises(CommandError, match="only with LIBRERY_DEMO=True"):
        call_command("demo_totp")
    assert User.objects.count() == 0


def test_demo_data_loads_once_and_labels_fiction(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.LIBRERY_DEMO = True
    call_command("load_demo")
    out = capsys.readouterr().out
    for user in demo.DEMO_USERS:
        assert f"{user.email}" in out
        assert user.password in out
    call_command("load_demo")  # idempotent
    assert Project.objects.count() == 225
    assert Project.objects.filter(status=ProjectStatus.ADMITTED).count() == 6
    assert User.objects.count() == 4
    assert Contributor.objects.count() == len(demo.DEMO_CONTRIBUTORS)
    assert all(c.is_demo and "(fictional demo)" in c.name for c in Contributor.objects.all())
    admin = User.objects.get(email=demo.DEMO_USERS[0].email)
    assert admin.is_staff
    assert Authenticator.objects.filter(user=admin).count() == 2  # TOTP + recovery codes
    assert Maintainership.objects.get().project.name == "Qgis"


def test_demo_content_on_the_public_pages(anonymous: Client) -> None:
    demo.demo_load()
    home = anonymous.get("/en/").text
    assert "LibreOffice" in home
    assert "Licence Ouverte 2.0" in home
    transparency = anonymous.get("/en/transparency/").text
    assert "Fictional demo" in transparency
    assert "Secret demo person" not in transparency
    assert "Anonymous demo person" not in transparency
    assert "Anonymous contributor" in transparency


def test_demo_totp_prints_the_admins_current_code(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.LIBRERY_DEMO = True
    demo.demo_load()
    call_command("demo_totp")
    code = capsys.readouterr().out.strip()
    admin = User.objects.get(email=demo.DEMO_USERS[0].email)
    totp = TOTP(Authenticator.objects.get(user=admin, type=Authenticator.Type.TOTP))
    assert totp.validate_code(code)


def test_demo_totp_refuses_real_users(settings: Any) -> None:
    settings.LIBRERY_DEMO = True
    with pytest.raises(CommandError, match="Only demo users"):
        call_command("demo_totp", "--email", "someone@example.org")
