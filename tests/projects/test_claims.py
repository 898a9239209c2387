"""Claiming a project in every way (issue 14, item 10): a token in a file at the
project's website or repository, fetched from a local server; a review by an
administrator, accepted or rejected with a reason; never two maintainerships."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import SettingsWrapper

from contributors.models import User
from librery.models import LogEntry
from projects import services
from projects.enums import ClaimMethod, ClaimStatus, FetchStatus, MaintainerRole
from projects.models import (
    FundingEntity,
    FundingManifestFetch,
    Maintainership,
    Project,
    ProjectClaim,
)
from tests.factories import MaintainershipFactory, ProjectFactory, UserFactory
from tests.mail import mail_tasks
from tests.projects.conftest import FUNDING_JSON_DIR, LocalServer, fetch_tasks

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
WELL_KNOWN = "/.well-known/funding-manifest-urls"


@pytest.fixture
def loopback(settings: SettingsWrapper) -> None:
    settings.LIBRERY_FETCH_ALLOW_LOOPBACK = True


def _review(claim: ProjectClaim, user: User, evidence: str = "I tag the releases.") -> None:
    services.project_claim_review_request(
        claim=claim, actor=user, evidence=evidence, links=["https://example.org/commits"]
    )


# --- Where the token may be published ---------------------------------------------


def test_the_places_follow_the_website_and_the_repository() -> None:
    project = Project(
        website_url="https://www.example.org/tool/",
        repository_url="https://github.com/org/tool.git",
    )
    assert services.claim_places(project) == [
        "https://www.example.org/tool/.well-known/funding-manifest-urls",
        "https://www.example.org/.well-known/funding-manifest-urls",
        "https://raw.githubusercontent.com/org/tool/HEAD/.well-known/funding-manifest-urls",
    ]
    gitlab = Project(repository_url="https://gitlab.adullact.net/group/sub/tool")
    assert services.claim_places(gitlab) == [
        "https://gitlab.adullact.net/group/sub/tool/-/raw/HEAD/.well-known/funding-manifest-urls"
    ]
    other = Project(website_url="https://example.org", repository_url="ftp://example.org/tool")
    assert services.claim_places(other) == ["https://example.org/.well-known/funding-manifest-urls"]
    assert services.claim_places(Project()) == []


# --- A token in a file at the website or repository -------------------------------


def test_a_token_at_the_website_makes_the_owner(
    outsider_user: User, local_server: LocalServer
) -> None:
    project = ProjectFactory.create(website_url=f"{local_server.base}/tool/")
    claim = services.project_claim_start(project=project, actor=outsider_user)
    local_server.serve(
        WELL_KNOWN, f"https://elsewhere.example/funding.json\n{claim.token}\n".encode()
    )

    membership = services.project_claim_verify(
        claim=claim, actor=outsider_user, allow_loopback=True
    )

    assert (membership.user, membership.role) == (outsider_user, MaintainerRole.OWNER)
    claim.refresh_from_db()
    assert (claim.status, claim.method) == (ClaimStatus.VERIFIED, ClaimMethod.WELL_KNOWN)
    assert claim.verified_at is not None
    # Beside the page first, then at the host's root.
    assert local_server.hits == [f"/tool{WELL_KNOWN}", WELL_KNOWN]
    entry = LogEntry.objects.get(action="projects.claim.verified")
    assert entry.data == {"project": project.pk, "role": "owner", "method": "well_known"}


def test_a_token_in_the_repository_and_the_others_are_told(
    outsider_user: User, local_server: LocalServer, django_capture_on_commit_callbacks: Any
) -> None:
    project = ProjectFactory.create(repository_url=f"{local_server.base}/git/tool")
    existing = MaintainershipFactory.create(project=project, role=MaintainerRole.OWNER)
    claim = services.project_claim_start(project=project, actor=outsider_user)
    local_server.serve(f"/git/tool{WELL_KNOWN}", f"  {claim.token}  \n".encode())

    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        membership = services.project_claim_verify(
            claim=claim, actor=outsider_user, allow_loopback=True
        )

    assert membership.role == MaintainerRole.MAINTAINER
    assert [m.to for m in mail.outbox] == [[existing.user.email]]
    # In the recipient's language (French by default).
    assert "par un fichier sur son site ou dans son dépôt" in mail.outbox[0].body


def test_a_token_that_does_not_match_is_refused_with_every_place(
    outsider_user: User, local_server: LocalServer
) -> None:
    project = ProjectFactory.create(
        website_url=f"{local_server.base}/", repository_url=f"{local_server.base}/missing"
    )
    claim = services.project_claim_start(project=project, actor=outsider_user)
    local_server.serve(WELL_KNOWN, b"librery-claim-someone-else\nx" + claim.token.encode() + b"\n")

    with pytest.raises(services.ClaimError) as refused:
        services.project_claim_verify(claim=claim, actor=outsider_user, allow_loopback=True)

    message = str(refused.value)
    assert message.startswith("The token was not found. Places looked at: ")
    assert f"{local_server.base}{WELL_KNOWN} (not on a line of its own)" in message
    assert f"{local_server.base}/missing{WELL_KNOWN} (The server answered with status 404.)" in (
        message
    )
    assert not Maintainership.objects.exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN


def test_the_file_is_fetched_under_the_manifest_rules(
    outsider_user: User, local_server: LocalServer
) -> None:
    """The same safety as manifests: loopback refused unless allowed, a size cap."""
    project = ProjectFactory.create(website_url=f"{local_server.base}/")
    claim = services.project_claim_start(project=project, actor=outsider_user)
    local_server.serve(WELL_KNOWN, claim.token.encode())
    with pytest.raises(services.ClaimError, match="private or reserved network: refused"):
        services.project_claim_verify(claim=claim, actor=outsider_user)
    assert local_server.hits == []

    local_server.serve(WELL_KNOWN, claim.token.encode() + b"\n" + b"x" * 70_000)
    with pytest.raises(services.ClaimError, match="The file is too large"):
        services.project_claim_verify(claim=claim, actor=outsider_user, allow_loopback=True)
    assert not Maintainership.objects.exists()


def test_the_page_runs_the_check_as_a_task(
    outsider: Client,
    outsider_user: User,
    local_server: LocalServer,
    loopback: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    project = ProjectFactory.create(website_url=f"{local_server.base}/")
    page = outsider.get(f"/en/projects/{project.slug}/claim/")
    claim = ProjectClaim.objects.get(user=outsider_user)
    assert f"{local_server.base}{WELL_KNOWN}" in page.text
    local_server.serve(WELL_KNOWN, f"{claim.token}\n".encode())

    with fetch_tasks(), django_capture_on_commit_callbacks(execute=True):
        started = outsider.post(f"/en/projects/{project.slug}/claim/")

    fetch = FundingManifestFetch.objects.get(claim=claim)
    assert (fetch.url, fetch.status) == (f"{local_server.base}{WELL_KNOWN}", FetchStatus.SUCCEEDED)
    assert outsider.get(started["Location"])["Location"] == "/en/projects/mine/"
    assert Maintainership.objects.filter(project=project, user=outsider_user).exists()


def test_without_any_address_only_the_review_is_offered(
    outsider: Client, outsider_user: User
) -> None:
    project = ProjectFactory.create()  # as the SILL's entries: no manifest
    page = outsider.get(f"/en/projects/{project.slug}/claim/")
    assert page.status_code == 200
    assert "Verify my claim" not in page.text
    assert "3. Ask an administrator to review your claim" in page.text
    claim = ProjectClaim.objects.get(user=outsider_user)
    with pytest.raises(services.ClaimError, match="ask an administrator"):
        services.project_claim_verify(claim=claim, actor=outsider_user)
    with pytest.raises(services.ClaimError, match="nowhere to look"):
        services.claim_verify_request(claim=claim, actor=outsider_user)
    refused = outsider.post(f"/en/projects/{project.slug}/claim/")
    assert refused["Location"] == f"/en/projects/{project.slug}/"
    assert not FundingManifestFetch.objects.exists()


# --- A review by an administrator -------------------------------------------------


def test_asking_for_a_review_tells_the_administrators(
    outsider_user: User,
    administrator_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    project = ProjectFactory.create(name="Tool")
    claim = services.project_claim_start(project=project, actor=outsider_user)
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        services.project_claim_review_request(
            claim=claim,
            actor=outsider_user,
            evidence="  I maintain the releases since 2019.  ",
            links=["https://example.org/a", "", "https://example.org/a", "http://example.org/b"],
        )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REVIEW
    assert claim.evidence == "I maintain the releases since 2019."
    assert claim.evidence_links == ["https://example.org/a", "http://example.org/b"]
    assert claim.review_requested_at is not None
    assert [m.to for m in mail.outbox] == [[administrator_user.email]]
    assert mail.outbox[0].subject == "[The Librery] Une revendication sur Tool attend votre examen"
    assert f"/admin/projects/projectclaim/{claim.pk}/review/" in mail.outbox[0].body
    assert LogEntry.objects.filter(action="projects.claim.review_requested").count() == 1

    # Asking again while it waits replaces the evidence, without telling anyone again.
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        services.project_claim_review_request(
            claim=claim, actor=outsider_user, evidence="More.", links=[]
        )
    claim.refresh_from_db()
    assert (claim.status, claim.evidence, claim.evidence_links) == (ClaimStatus.REVIEW, "More.", [])
    assert len(mail.outbox) == 1
    assert LogEntry.objects.filter(action="projects.claim.evidence_updated").count() == 1


@pytest.mark.parametrize(
    ("evidence", "links", "message"),
    [
        ("   ", [], "Say how you take part"),
        ("x" * 4001, [], "The evidence is too long"),
        ("Yes.", ["javascript:alert(1)"], "is not a web address"),
        ("Yes.", ["https://example.org/" + "a" * 500], "is not a web address"),
        ("Yes.", [f"https://example.org/{n}" for n in range(6)], "At most 5 links"),
    ],
)
def test_a_review_needs_evidence_within_limits(
    outsider_user: User, evidence: str, links: list[str], message: str
) -> None:
    claim = services.project_claim_start(project=ProjectFactory.create(), actor=outsider_user)
    with pytest.raises(services.ClaimError, match=message):
        services.project_claim_review_request(
            claim=claim, actor=outsider_user, evidence=evidence, links=links
        )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN


def test_only_the_claimant_asks_and_only_an_other_administrator_decides(
    outsider_user: User, contributor_user: User, administrator_user: User
) -> None:
    claim = services.project_claim_start(project=ProjectFactory.create(), actor=outsider_user)
    with pytest.raises(services.ClaimError, match="not yours"):
        _review(claim, contributor_user)
    _review(claim, outsider_user)
    with pytest.raises(services.ClaimError, match="Only an administrator"):
        services.project_claim_accept(claim=claim, actor=contributor_user, reason="Fine.")
    with pytest.raises(services.ClaimError, match="Give the reason"):
        services.project_claim_reject(claim=claim, actor=administrator_user, reason="  ")
    with pytest.raises(services.ClaimError, match="The reason is too long"):
        services.project_claim_accept(claim=claim, actor=administrator_user, reason="x" * 2001)
    own = services.project_claim_start(project=ProjectFactory.create(), actor=administrator_user)
    _review(own, administrator_user)
    with pytest.raises(services.ClaimError, match="No one reviews their own claim"):
        services.project_claim_accept(claim=own, actor=administrator_user, reason="Me.")
    assert not Maintainership.objects.exists()


def test_an_accepted_review_makes_a_maintainer_and_tells_them_in_their_language(
    outsider_user: User,
    administrator_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    outsider_user.language = "fr"
    outsider_user.save(update_fields=["language"])
    project = ProjectFactory.create(name="Tool")
    claim = services.project_claim_start(project=project, actor=outsider_user)
    _review(claim, outsider_user)

    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        membership = services.project_claim_accept(
            claim=claim, actor=administrator_user, reason="Their name is on every release."
        )

    assert (membership.user, membership.role) == (outsider_user, MaintainerRole.OWNER)
    claim.refresh_from_db()
    assert (claim.status, claim.method) == (ClaimStatus.VERIFIED, ClaimMethod.REVIEW)
    assert (claim.reviewed_by, claim.review_reason) == (
        administrator_user,
        "Their name is on every release.",
    )
    assert [m.to for m in mail.outbox] == [[outsider_user.email]]
    assert mail.outbox[0].subject == "[The Librery] Vous maintenez désormais Tool"
    assert "Their name is on every release." in mail.outbox[0].body
    assert "http://127.0.0.1:8000/projects/mine/" in mail.outbox[0].body  # French: no prefix
    entry = LogEntry.objects.get(action="projects.claim.verified")
    assert entry.actor == administrator_user
    assert entry.data["method"] == "review"
    # Once decided, it cannot be decided again.
    with pytest.raises(services.ClaimError, match="Only a claim awaiting review"):
        services.project_claim_reject(claim=claim, actor=administrator_user, reason="Oops.")
    with pytest.raises(services.ClaimError, match="already maintain"):
        services.project_claim_start(project=project, actor=outsider_user)


def test_a_rejected_review_says_why_and_may_be_asked_again(
    outsider_user: User,
    administrator_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    claim = services.project_claim_start(project=ProjectFactory.create(), actor=outsider_user)
    _review(claim, outsider_user)
    with mail_tasks(), django_capture_on_commit_callbacks(execute=True):
        services.project_claim_reject(
            claim=claim, actor=administrator_user, reason="No trace of you in the history."
        )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert [m.to for m in mail.outbox] == [[outsider_user.email]]
    assert "No trace of you in the history." in mail.outbox[0].body
    assert f"/projects/{claim.project.slug}/claim/" in mail.outbox[0].body
    assert not Maintainership.objects.exists()
    assert LogEntry.objects.get(action="projects.claim.rejected").data["reason"] == (
        "No trace of you in the history."
    )
    with pytest.raises(services.ClaimError, match="Only a claim awaiting review"):
        services.project_claim_accept(claim=claim, actor=administrator_user, reason="Changed.")

    _review(claim, outsider_user, evidence="Here is my signed release.")
    claim.refresh_from_db()
    assert (claim.status, claim.review_reason, claim.reviewed_by) == (ClaimStatus.REVIEW, "", None)


def test_never_two_maintainerships(
    outsider_user: User, administrator_user: User, local_server: LocalServer
) -> None:
    """Made a maintainer meanwhile (by another way), the claimant is not made one twice."""
    project = ProjectFactory.create(website_url=f"{local_server.base}/")
    claim = services.project_claim_start(project=project, actor=outsider_user)
    _review(claim, outsider_user)
    local_server.serve(WELL_KNOWN, f"{claim.token}\n".encode())
    services.project_claim_verify(claim=claim, actor=outsider_user, allow_loopback=True)
    claim.refresh_from_db()
    assert (claim.status, claim.method) == (ClaimStatus.VERIFIED, ClaimMethod.WELL_KNOWN)
    with pytest.raises(services.ClaimError, match="Only a claim awaiting review"):
        services.project_claim_accept(claim=claim, actor=administrator_user, reason="Yes.")

    # An administrator added them by hand while their review waited.
    other = ProjectFactory.create()
    second = services.project_claim_start(project=other, actor=outsider_user)
    _review(second, outsider_user)
    Maintainership.objects.create(project=other, user=outsider_user, role=MaintainerRole.OWNER)
    services.project_claim_accept(claim=second, actor=administrator_user, reason="Yes.")
    assert Maintainership.objects.filter(user=outsider_user).count() == 2
    with pytest.raises(services.ClaimError, match="already maintain"):
        _review(second, outsider_user)


# --- Pages -----------------------------------------------------------------------


def test_an_unclaimed_project_offers_to_claim_it(
    anonymous: Client, outsider: Client, outsider_user: User
) -> None:
    project = ProjectFactory.create()
    page = anonymous.get(f"/en/projects/{project.slug}/")
    assert "Claim this project" in page.text
    assert "Revendiquer ce projet" in anonymous.get(f"/projects/{project.slug}/").text
    login = anonymous.get(f"/en/projects/{project.slug}/claim/")
    assert login["Location"].startswith("/en/accounts/login/?next=")
    assert f"/en/projects/{project.slug}/claim/" in login["Location"].replace("%2F", "/")

    MaintainershipFactory.create(project=project)
    claimed = outsider.get(f"/en/projects/{project.slug}/")
    assert "Claim this project" not in claimed.text
    assert "I maintain this project: claim it" in claimed.text


def test_the_review_form_on_the_page(outsider: Client, outsider_user: User) -> None:
    project = ProjectFactory.create()
    url = f"/en/projects/{project.slug}/claim/review/"
    empty = outsider.post(url, {"evidence": "", "links": ""})
    assert empty.status_code == 400
    bad = outsider.post(url, {"evidence": "Me.", "links": "not a link"})
    assert bad.status_code == 400
    assert "is not a web address" in bad.text
    done = outsider.post(url, {"evidence": "Me.", "links": "https://example.org/me\n"})
    assert done["Location"] == f"/en/projects/{project.slug}/claim/"
    page = outsider.get(done["Location"])
    assert "awaits an administrator's review" in page.text
    assert "Update my evidence" in page.text
    claim = ProjectClaim.objects.get(user=outsider_user)
    assert (claim.status, claim.evidence_links) == (ClaimStatus.REVIEW, ["https://example.org/me"])
    MaintainershipFactory.create(project=project, user=outsider_user)
    assert outsider.post(url, {"evidence": "Me."})["Location"] == f"/en/projects/{project.slug}/"


def test_the_administrator_reviews_in_the_admin(administrator: Client, outsider_user: User) -> None:
    claim = services.project_claim_start(project=ProjectFactory.create(), actor=outsider_user)
    _review(claim, outsider_user, evidence="I am <b>the</b> maintainer.")
    listing = administrator.get("/en/admin/projects/projectclaim/")
    review_url = f"/en/admin/projects/projectclaim/{claim.pk}/review/"
    assert review_url in listing.text
    page = administrator.get(review_url)
    assert "I am &lt;b&gt;the&lt;/b&gt; maintainer." in page.text
    assert 'href="https://example.org/commits"' in page.text
    missing = administrator.post(review_url, {"reason": "", "accept": "1"})
    assert missing.status_code == 200
    assert not Maintainership.objects.exists()
    done = administrator.post(review_url, {"reason": "Checked the releases.", "accept": "1"})
    assert done["Location"] == "/en/admin/projects/projectclaim/"
    assert Maintainership.objects.filter(user=outsider_user).count() == 1
    again = administrator.post(review_url, {"reason": "Again.", "reject": "1"})
    assert again.status_code == 200
    assert "Accept: make them a maintainer" not in again.text
    assert (
        administrator.get(f"/en/admin/projects/projectclaim/{claim.pk}/change/").status_code == 200
    )


def test_only_staff_reach_the_review_page(outsider: Client, outsider_user: User) -> None:
    claim = services.project_claim_start(project=ProjectFactory.create(), actor=outsider_user)
    response = outsider.get(f"/en/admin/projects/projectclaim/{claim.pk}/review/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_imported_projects_link_to_their_claim(outsider: Client) -> None:
    raw = (FUNDING_JSON_DIR / "ddev__ddev.json").read_bytes()
    page = outsider.post(
        "/en/projects/manifest/", {"file": SimpleUploadedFile("funding.json", raw)}
    )
    project = Project.objects.get(source="funding.json")
    assert f'href="/en/projects/{project.slug}/claim/"' in page.text
    assert "To become their maintainer, claim each project" in page.text


def test_a_staff_user_without_others_is_told_nothing(outsider_user: User) -> None:
    """Asking for a review with no administrator to tell still records it."""
    UserFactory.create(is_staff=True, is_active=False)
    claim = services.project_claim_start(project=ProjectFactory.create(), actor=outsider_user)
    _review(claim, outsider_user)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REVIEW


def test_a_broken_manifest_does_not_stop_the_other_places(
    outsider_user: User, contributor_user: User, local_server: LocalServer
) -> None:
    entity = FundingEntity.objects.create(
        manifest_url=f"{local_server.base}/funding.json",
        kind="organisation",
        role="owner",
        name="Entity",
        email="entity@example.org",
        manifest="{}",
    )
    project = ProjectFactory.create(
        entity=entity, manifest_guid="tool", website_url=f"{local_server.base}/"
    )
    claim = services.project_claim_start(project=project, actor=outsider_user)
    with pytest.raises(services.ClaimError, match="not yours"):
        services.project_claim_verify(claim=claim, actor=contributor_user, allow_loopback=True)
    with pytest.raises(services.ClaimError, match="not yours"):
        services.claim_verify_request(claim=claim, actor=contributor_user)

    # The manifest cannot be fetched, then is not valid, then lists other projects only.
    for body, status in ((b"gone", 404), (b"{not json", 200), (b'{"projects": [{}]}', 200)):
        local_server.serve("/funding.json", body, status=status)
        with pytest.raises(services.ClaimError) as refused:
            services.project_claim_verify(claim=claim, actor=outsider_user, allow_loopback=True)
        assert f"{local_server.base}/funding.json (" in str(refused.value)
        assert f"{local_server.base}{WELL_KNOWN} (" in str(refused.value)

    local_server.serve(WELL_KNOWN, f"{claim.token}\n".encode())
    services.project_claim_verify(claim=claim, actor=outsider_user, allow_loopback=True)
    claim.refresh_from_db()
    assert (claim.status, claim.method) == (ClaimStatus.VERIFIED, ClaimMethod.WELL_KNOWN)
    # A verified claim is not reviewed (its user no longer a maintainer, say).
    Maintainership.objects.filter(user=outsider_user).delete()
    with pytest.raises(services.ClaimError, match="already verified"):
        _review(claim, outsider_user)


def test_the_administrator_rejects_in_the_admin(administrator: Client, outsider_user: User) -> None:
    claim = services.project_claim_start(project=ProjectFactory.create(), actor=outsider_user)
    _review(claim, outsider_user)
    review_url = f"/en/admin/projects/projectclaim/{claim.pk}/review/"
    done = administrator.post(review_url, {"reason": "Nothing shows it.", "reject": "1"})
    assert done["Location"] == "/en/admin/projects/projectclaim/"
    claim.refresh_from_db()
    assert (claim.status, claim.review_reason) == (ClaimStatus.REJECTED, "Nothing shows it.")
    assert "Nothing shows it." in administrator.get(review_url).text


def test_staff_without_the_permission_cannot_review(outsider_user: User) -> None:
    staff = UserFactory.create(is_staff=True)
    TOTP.activate(staff, str(generate_totp_secret()))
    client = Client()
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    claim = services.project_claim_start(project=ProjectFactory.create(), actor=outsider_user)
    _review(claim, outsider_user)
    response = client.post(
        f"/en/admin/projects/projectclaim/{claim.pk}/review/", {"reason": "Yes.", "accept": "1"}
    )
    assert response.status_code == 403
    assert not Maintainership.objects.exists()
