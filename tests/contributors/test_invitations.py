"""Membership by invitation only, accepted by the invitee; the owner's page
answers the same whether the address has an account or not (issue 9, finding 8)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.utils import timezone

from contributors.enums import InvitationStatus
from contributors.models import Contributor, Membership, MembershipInvitation, Pledge, User
from contributors.services import organisation_create
from librery.models import LogEntry
from tests.factories import UserFactory
from tests.mail import mail_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ACCEPT_LINK = re.compile(r"http://\S+/contribute/invitations/([A-Za-z0-9_-]+)/")


@pytest.fixture
def organisation(contributor_user: User) -> Contributor:
    return organisation_create(
        user=contributor_user,
        name="Assoc",
        organisation_kind="association",
        legal_name="Assoc loi 1901",
        country="BE",
        billing_address="Rue 1",
    )


def _members_url(organisation: Contributor) -> str:
    return f"/en/contribute/organisations/{organisation.pk}/members/"


def _invite(
    client: Client, organisation: Contributor, email: str, capture: Any, role: str = "member"
) -> tuple[Any, str]:
    """Posts the invitation; returns the response (followed) and the mail's body."""
    with mail_tasks(), capture(execute=True):
        response = client.post(
            _members_url(organisation), {"email": email, "role": role}, follow=True
        )
    bodies = [
        str(message.body)
        for message in mail.outbox
        if email.lower() in [to.lower() for to in message.to]
    ]
    return response, bodies[-1] if bodies else ""


def _token(body: str) -> str:
    match = ACCEPT_LINK.search(body)
    assert match is not None, body
    return match.group(1)


def _visible_text(html: str) -> str:
    """The page without its CSRF tokens (different on every render) and without
    the owner's list of pending invitations (the addresses they typed)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'<ul class="link-list" id="invitations">.*?</ul>', "", html, flags=re.S)


def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    contributor: Client,
    organisation: Contributor,
    outsider_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    known, known_mail = _invite(
        contributor, organisation, outsider_user.email, django_capture_on_commit_callbacks
    )
    unknown, unknown_mail = _invite(
        contributor, organisation, "nobody@example.org", django_capture_on_commit_callbacks
    )
    assert known.status_code == unknown.status_code == 200
    assert [r[1] for r in known.redirect_chain] == [r[1] for r in unknown.redirect_chain] == [302]
    message = (
        "If this address can receive email, an invitation was sent to it: "
        "the person acts for the organisation once they accept it."
    )
    assert message in known.text
    assert message in unknown.text
    # The pages differ only by the owner's list of pending invitations.
    assert _visible_text(known.text) == _visible_text(unknown.text)
    # Both receive the same invitation; nobody is a member yet.
    assert _token(known_mail) != _token(unknown_mail)
    assert list(Membership.objects.filter(contributor=organisation).values_list("role")) == [
        ("owner",)
    ]
    assert MembershipInvitation.objects.filter(status=InvitationStatus.PENDING).count() == 2


def test_the_invitee_accepts_then_acts_for_the_organisation(
    contributor: Client,
    organisation: Contributor,
    outsider: Client,
    outsider_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _response, body = _invite(
        contributor, organisation, outsider_user.email.upper(), django_capture_on_commit_callbacks
    )
    assert "Assoc" in body
    # The deadline is a time of day: it says whose (in the invitee's French).
    deadline = r"L.invitation est valable jusqu.au \d+ \w+ \d{4} \d+:\d+ \(heure de Paris\)\."
    assert re.search(deadline, body), body
    assert "<title>People acting for Assoc · The Librery</title>" in _response.text
    token = _token(body)
    invitation = MembershipInvitation.objects.get()
    assert invitation.email == outsider_user.email
    assert token not in invitation.token_hash  # only the hash is stored
    # Before acceptance: not a member, cannot see or give as the organisation.
    assert outsider.get(_members_url(organisation)).status_code == 404
    refused = outsider.post(
        "/en/contribute/pledge/",
        {
            "pay_as": str(organisation.pk),
            "visibility": "named",
            "frequency": "monthly",
            "amount": "50",
            "payment_method": "card",
            "token": str(uuid.uuid4()),
        },
    )
    assert refused.status_code == 200
    assert Pledge.objects.count() == 0

    page = outsider.get(f"/en/contribute/invitations/{token}/")
    assert page.status_code == 200
    assert "Accept the invitation" in page.text
    accepted = outsider.post(f"/en/contribute/invitations/{token}/")
    assert accepted.status_code == 302
    membership = Membership.objects.get(contributor=organisation, user=outsider_user)
    assert membership.role == "member"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_by == outsider_user
    assert LogEntry.objects.filter(action="contributors.invitation.accepted").count() == 1
    # Single use.
    again = outsider.post(f"/en/contribute/invitations/{token}/")
    assert again.status_code == 400
    assert "This invitation is no longer valid." in again.text
    assert Membership.objects.filter(contributor=organisation).count() == 2


def test_accepting_with_another_account_is_refused(
    contributor: Client,
    organisation: Contributor,
    outsider: Client,
    outsider_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _response, body = _invite(
        contributor, organisation, "someone.else@example.org", django_capture_on_commit_callbacks
    )
    token = _token(body)
    refused = outsider.post(f"/en/contribute/invitations/{token}/")
    assert refused.status_code == 400
    assert "This invitation was sent to another address" in refused.text
    assert not Membership.objects.filter(user=outsider_user).exists()
    assert MembershipInvitation.objects.get().status == InvitationStatus.PENDING


def test_accepting_with_the_address_unverified_is_refused(
    contributor: Client, organisation: Contributor, django_capture_on_commit_callbacks: Any
) -> None:
    invitee = UserFactory.create(email="late@example.org", verified_email=False)
    EmailAddress.objects.create(user=invitee, email=invitee.email, verified=False, primary=True)
    _response, body = _invite(
        contributor, organisation, invitee.email, django_capture_on_commit_callbacks
    )
    client = Client()
    client.force_login(invitee, backend="django.contrib.auth.backends.ModelBackend")
    refused = client.post(f"/en/contribute/invitations/{_token(body)}/")
    assert refused.status_code == 400
    assert not Membership.objects.filter(user=invitee).exists()


def test_expired_and_revoked_invitations_are_refused(
    contributor: Client,
    organisation: Contributor,
    outsider: Client,
    outsider_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _response, body = _invite(
        contributor, organisation, outsider_user.email, django_capture_on_commit_callbacks
    )
    expired_token = _token(body)
    MembershipInvitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = outsider.post(f"/en/contribute/invitations/{expired_token}/")
    assert expired.status_code == 400
    assert "This invitation has expired; ask for a new one." in expired.text
    assert MembershipInvitation.objects.get().status == InvitationStatus.EXPIRED

    _response, body = _invite(
        contributor, organisation, outsider_user.email, django_capture_on_commit_callbacks
    )
    invitation = MembershipInvitation.objects.get(status=InvitationStatus.PENDING)
    # Only an owner revokes.
    assert (
        outsider.post(
            f"{_members_url(organisation)[:-8]}invitations/{invitation.pk}/revoke/"
        ).status_code
        == 404
    )
    revoked = contributor.post(
        f"/en/contribute/organisations/{organisation.pk}/invitations/{invitation.pk}/revoke/"
    )
    assert revoked.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    refused = outsider.post(f"/en/contribute/invitations/{_token(body)}/")
    assert refused.status_code == 400
    assert "This invitation is no longer valid." in refused.text
    assert not Membership.objects.filter(user=outsider_user).exists()


def test_unknown_token_is_404_and_members_cannot_invite(
    contributor: Client,
    organisation: Contributor,
    outsider: Client,
    outsider_user: User,
) -> None:
    assert outsider.get("/en/contribute/invitations/not-a-token/").status_code == 404
    Membership.objects.create(contributor=organisation, user=outsider_user, role="member")
    page = outsider.get(_members_url(organisation))
    assert page.status_code == 200
    assert "Invite a person" not in page.text
    refused = outsider.post(_members_url(organisation), {"email": "x@example.org", "role": "owner"})
    assert refused.status_code == 403
    assert MembershipInvitation.objects.count() == 0


def test_inviting_again_replaces_the_pending_invitation(
    contributor: Client,
    organisation: Contributor,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _first, first_body = _invite(
        contributor, organisation, "again@example.org", django_capture_on_commit_callbacks
    )
    _second, second_body = _invite(
        contributor, organisation, "again@example.org", django_capture_on_commit_callbacks
    )
    assert list(MembershipInvitation.objects.order_by("id").values_list("status", flat=True)) == [
        InvitationStatus.REVOKED,
        InvitationStatus.PENDING,
    ]
    assert _token(first_body) != _token(second_body)


def test_an_invalid_address_is_refused_and_nothing_is_stored(
    contributor: Client, organisation: Contributor
) -> None:
    response = contributor.post(
        _members_url(organisation), {"email": "x" * 250 + "@example.org", "role": "member"}
    )
    assert response.status_code == 400
    assert MembershipInvitation.objects.count() == 0
