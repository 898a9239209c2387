"""Who may reach what: the expected answer of every route, for every persona.

Keyed by URL name (`namespace:name`); routes of third-party apps (the admin's
model pages) are covered by pattern rules. `test_authorization_matrix.py`
walks the URL resolver and fails on any route that matches no entry and no rule,
or more than one: a new route cannot be added without saying who may reach it.

Pages are checked in English (`/en/…`); the routes outside `i18n_patterns`
(the API, the webhook, `/healthz`, `/i18n/`) have no language prefix.

For a route that changes things, `post` gives the answer to a POST for the
personas who must NOT be able to do it (the test checks that nothing changed);
the personas allowed to act are not posted to (their own tests do that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.authz.graph import PERSONAS, Graph


@dataclass(frozen=True)
class Expect:
    status: int
    # For a redirect: the URL name whose path the Location must start with (None: any).
    to: str | None = None

    def __str__(self) -> str:
        return f"{self.status}" + (f"->{self.to}" if self.to else "")


OK = Expect(200)
NOT_FOUND = Expect(404)
FORBIDDEN = Expect(403)
NOT_ALLOWED = Expect(405)
LOGIN = Expect(302, "account_login")  # sent to log in
TOTP = Expect(302, "mfa_activate_totp")  # staff without TOTP: sent to set it up
ADMIN_LOGIN = Expect(302, "admin:login")  # the admin's own "log in as staff"
HOME = Expect(302, "home")
# allauth asks for the password again before TOTP and recovery codes change (a
# session opened by force_login has no recent authentication).
REAUTH = Expect(302, "account_reauthenticate")
REDIRECT = Expect(302)  # a redirect elsewhere (the page's own flow)

Answers = Mapping[str, Expect]
Kwargs = Callable[[Graph], dict[str, Any]]


def answers(default: Expect, **persona: Expect) -> dict[str, Expect]:
    """`default` for every persona, staff without TOTP sent to set it up,
    anonymous and the named personas as given."""
    table = dict.fromkeys(PERSONAS, default)
    table["staff_without_totp"] = TOTP
    unknown = set(persona) - set(PERSONAS)
    assert not unknown, unknown
    table.update(persona)
    return table


def public() -> dict[str, Expect]:
    return answers(OK)


def signed_in(anonymous: Expect = LOGIN) -> dict[str, Expect]:
    return answers(OK, anonymous=anonymous)


def only(*personas: str, others: Expect, anonymous: Expect, ok: Expect = OK) -> dict[str, Expect]:
    return answers(others, anonymous=anonymous, **dict.fromkeys(personas, ok))


def post_only_page(*, others: Expect = NOT_ALLOWED) -> dict[str, Expect]:
    """A POST-only page behind log-in: GET is 405 once signed in."""
    return answers(others, anonymous=LOGIN)


def staff_page(ok: Expect = OK) -> dict[str, Expect]:
    """funds' `staff_only`: a 404 for everyone but staff, as if it did not exist."""
    return answers(NOT_FOUND, administrator=ok)


# Unauthorised POSTs (the personas allowed to act are left out).
def post_refused(
    refused: Expect, *, anonymous: Expect, allowed: tuple[str, ...]
) -> dict[str, Expect]:
    table = {p: refused for p in PERSONAS if p not in allowed}
    table["anonymous"] = anonymous
    table["staff_without_totp"] = TOTP
    return table


@dataclass(frozen=True)
class Route:
    get: Answers
    kwargs: Kwargs = field(default=lambda graph: {})
    post: Answers | None = None
    data: Callable[[Graph], dict[str, Any]] = field(default=lambda graph: {})
    query: str = ""


def _pk(attribute: str) -> Kwargs:
    return lambda graph: {"pk": getattr(graph, attribute).pk}


def _slug(attribute: str) -> Kwargs:
    return lambda graph: {"slug": getattr(graph, attribute).slug}


PORTAL = ("seat_holder", "administrator")
API_SIGNED_IN = answers(OK, anonymous=FORBIDDEN)
API_PORTAL = only(*PORTAL, others=FORBIDDEN, anonymous=FORBIDDEN)
API_STAFF = only("administrator", others=FORBIDDEN, anonymous=FORBIDDEN)

TABLE: dict[str, Route] = {
    # --- Outside the language prefix ---------------------------------------------
    "healthz": Route(get=answers(OK, staff_without_totp=OK)),
    "robots_txt": Route(get=public()),
    "set_language": Route(get=answers(REDIRECT, staff_without_totp=REDIRECT)),
    "api-schema": Route(get=public()),
    "default_language_prefixed": Route(get=answers(Expect(301)), kwargs=lambda graph: {"rest": ""}),
    "stripe-webhook": Route(
        # Stripe is off in the test settings: the endpoint does not exist.
        get=answers(NOT_ALLOWED),
        post=answers(NOT_FOUND),
        data=lambda graph: {"id": "evt_forged", "type": "payment_intent.succeeded"},
    ),
    # --- API: projects ------------------------------------------------------------
    "api-project-list": Route(get=public()),
    "api-project-detail": Route(get=public(), kwargs=_slug("project")),
    "api-project-mine": Route(get=API_SIGNED_IN),
    "api-project-manifests": Route(
        get=answers(NOT_ALLOWED, anonymous=FORBIDDEN),
        post=post_refused(FORBIDDEN, anonymous=FORBIDDEN, allowed=PERSONAS[1:]),
        data=lambda graph: {"url": "http://127.0.0.1:9/funding.json"},
    ),
    # --- API: contributors and funds ------------------------------------------------
    "contributors-api:pledge-list": Route(get=API_SIGNED_IN),
    # Reads the posted SBOM and stores nothing: anyone signed in.
    "sbom-matches": Route(
        get=answers(NOT_ALLOWED, anonymous=FORBIDDEN),
        post=post_refused(FORBIDDEN, anonymous=FORBIDDEN, allowed=PERSONAS[1:]),
    ),
    "contributors-api:pledge-detail": Route(
        get=only("contributor", others=NOT_FOUND, anonymous=FORBIDDEN), kwargs=_pk("pledge")
    ),
    "funds-api:receipt-list": Route(get=API_SIGNED_IN),
    "funds-api:payment-request-list": Route(get=API_SIGNED_IN),
    "funds-api:statement-list": Route(
        get=API_STAFF,
        post=post_refused(FORBIDDEN, anonymous=FORBIDDEN, allowed=("administrator",)),
    ),
    "funds-api:statement-lines": Route(get=API_STAFF, kwargs=_pk("statement")),
    "funds-api:line-decide": Route(
        get=only("administrator", others=FORBIDDEN, anonymous=FORBIDDEN, ok=NOT_ALLOWED),
        kwargs=_pk("line"),
        post=post_refused(FORBIDDEN, anonymous=FORBIDDEN, allowed=("administrator",)),
        data=lambda graph: {"decision": "ignore"},
    ),
    # --- API: governance ---------------------------------------------------------------
    "api-ballot-list": Route(get=API_PORTAL),
    "api-ballot-detail": Route(get=API_PORTAL, kwargs=_pk("ballot")),
    "api-ballot-vote": Route(
        get=only(*PORTAL, others=FORBIDDEN, anonymous=FORBIDDEN, ok=NOT_ALLOWED),
        kwargs=_pk("ballot"),
        post=post_refused(FORBIDDEN, anonymous=FORBIDDEN, allowed=PORTAL),
        data=lambda graph: {"choice": "yes"},
    ),
    "api-my-votes": Route(get=API_PORTAL),
    "api-decision-list": Route(get=public()),
    "api-decision-detail": Route(get=public(), kwargs=_pk("decision")),
    # --- Accounts (django-allauth): log in, sign up, passwords, e-mail, TOTP ------------
    "account_login": Route(get=answers(HOME, anonymous=OK)),
    "account_signup": Route(get=answers(HOME, anonymous=OK)),
    "account_logout": Route(get=answers(OK, anonymous=HOME, staff_without_totp=OK)),
    "account_inactive": Route(get=public()),
    "account_reauthenticate": Route(get=answers(OK, anonymous=LOGIN, staff_without_totp=OK)),
    "account_email": Route(get=signed_in()),
    "account_email_verification_sent": Route(get=public()),
    "account_change_password": Route(get=signed_in()),
    # Everyone here has a password: setting one means changing it.
    "account_set_password": Route(
        get=answers(Expect(302, "account_change_password"), anonymous=LOGIN)
    ),
    "account_reset_password": Route(get=public()),
    "account_reset_password_done": Route(get=public()),
    "account_reset_password_from_key_done": Route(get=public()),
    "account_reset_password_from_key": Route(
        get=public(), kwargs=lambda graph: {"uidb36": "1", "key": "forged-key"}
    ),
    "account_confirm_email": Route(get=public(), kwargs=lambda graph: {"key": "forged-key"}),
    # No login in progress: nothing to confirm.
    "account_confirm_login_code": Route(get=answers(HOME, anonymous=LOGIN)),
    "mfa_index": Route(get=answers(OK, anonymous=LOGIN, staff_without_totp=OK)),
    "mfa_authenticate": Route(get=answers(HOME, anonymous=LOGIN)),
    # Reauthenticating with TOTP needs TOTP: the others reauthenticate with their password.
    "mfa_reauthenticate": Route(
        get=answers(REAUTH, anonymous=LOGIN, staff_without_totp=REAUTH, administrator=OK)
    ),
    # Staff without TOTP reach the set-up page (through the password check), in
    # English too (finding 9: it used to redirect to itself).
    "mfa_activate_totp": Route(get=answers(REAUTH, anonymous=LOGIN, staff_without_totp=REAUTH)),
    "mfa_deactivate_totp": Route(get=answers(NOT_FOUND, anonymous=LOGIN, administrator=REAUTH)),
    # Nobody here has generated recovery codes yet.
    "mfa_view_recovery_codes": Route(
        get=answers(NOT_FOUND, anonymous=LOGIN, staff_without_totp=NOT_FOUND)
    ),
    "mfa_generate_recovery_codes": Route(
        get=answers(REAUTH, anonymous=LOGIN, staff_without_totp=REAUTH)
    ),
    "mfa_download_recovery_codes": Route(
        get=answers(NOT_FOUND, anonymous=LOGIN, staff_without_totp=NOT_FOUND)
    ),
    # --- Public pages ---------------------------------------------------------------------
    "home": Route(get=public()),
    "javascript-catalog": Route(get=public()),
    "allocation:transparency": Route(get=public()),
    # The publication log (hash-chained): public open data, like the runs it lists.
    "publication_log": Route(get=public()),
    # What is published, how to check it, the API; and the checker itself.
    "allocation:open_data": Route(get=public()),
    "verify_script": Route(get=public()),
    "api-allocation-runs": Route(get=public()),
    # A computed month's run and its open data are public.
    "allocation:receipt": Route(
        get=only("contributor", others=NOT_FOUND, anonymous=LOGIN), kwargs=_pk("receipt")
    ),
    "allocation:statement": Route(
        get=only("contributor", others=NOT_FOUND, anonymous=LOGIN),
        kwargs=lambda graph: {
            "pk": graph.receipt.contributor_id,
            "year": graph.receipt.received_at.year,
            "language": "en",
        },
    ),
    "allocation:run": Route(get=public(), kwargs=lambda graph: {"period": graph.run_period}),
    "allocation:run_json": Route(get=public(), kwargs=lambda graph: {"period": graph.run_period}),
    "allocation:run_csv": Route(get=public(), kwargs=lambda graph: {"period": graph.run_period}),
    "allocation:run_sha256": Route(get=public(), kwargs=lambda graph: {"period": graph.run_period}),
    # --- allocation: the administrators' disbursement pages (staff only: 404 otherwise) ---
    "disbursement:index": Route(get=staff_page()),
    "disbursement:report": Route(
        get=staff_page(), kwargs=lambda graph: {"period": graph.run_period}
    ),
    "disbursement:approve": Route(
        get=staff_page(NOT_ALLOWED),
        kwargs=lambda graph: {"period": graph.run_period},
        post=post_refused(NOT_FOUND, anonymous=NOT_FOUND, allowed=("administrator",)),
        data=lambda graph: {"password": "guess", "code": "000000", "sha256": "0" * 64},
    ),
    "disbursement:report_csv": Route(
        get=staff_page(), kwargs=lambda graph: {"period": graph.run_period}
    ),
    "disbursement:report_pdf": Route(
        get=staff_page(), kwargs=lambda graph: {"period": graph.run_period, "language": "fr"}
    ),
    # The graph's month has no payout batch yet: no file, nothing to mark.
    "disbursement:sepa_file": Route(
        get=staff_page(NOT_FOUND), kwargs=lambda graph: {"period": graph.run_period}
    ),
    "disbursement:batch_sent": Route(
        get=staff_page(NOT_ALLOWED),
        kwargs=lambda graph: {"period": graph.run_period},
        post=post_refused(NOT_FOUND, anonymous=NOT_FOUND, allowed=("administrator",)),
    ),
    "disbursement:payout_action": Route(
        get=staff_page(NOT_ALLOWED),
        kwargs=lambda graph: {"pk": 0, "action": "paid"},
        post=post_refused(NOT_FOUND, anonymous=NOT_FOUND, allowed=("administrator",)),
    ),
    "api-allocation-batch": Route(
        get=only("administrator", others=FORBIDDEN, anonymous=FORBIDDEN, ok=NOT_ALLOWED),
        kwargs=lambda graph: {"period": graph.run_period},
        post=post_refused(FORBIDDEN, anonymous=FORBIDDEN, allowed=("administrator",)),
    ),
    # --- contributors --------------------------------------------------------------------
    "contributors:contribute": Route(get=public()),
    "contributors:my_account": Route(get=signed_in()),
    "contributors:my_contributions": Route(get=signed_in()),
    "contributors:pledge_new": Route(
        get=signed_in(),
        post=post_refused(LOGIN, anonymous=LOGIN, allowed=PERSONAS[1:]),
        data=lambda graph: {"amount": "30", "frequency": "one_time"},
    ),
    "contributors:organisation_new": Route(
        get=signed_in(),
        post=post_refused(LOGIN, anonymous=LOGIN, allowed=PERSONAS[1:]),
        data=lambda graph: {"name": "Intruder Ltd"},
    ),
    "contributors:commitment_new": Route(
        get=signed_in(),
        post=post_refused(LOGIN, anonymous=LOGIN, allowed=PERSONAS[1:]),
    ),
    # "Earmark from an SBOM": an SBOM is seen by its contributor (and the
    # organisation's members) and the administrators, by no one else.
    "contributors:sbom_upload": Route(
        get=signed_in(),
        post=post_refused(LOGIN, anonymous=LOGIN, allowed=PERSONAS[1:]),
    ),
    "contributors:sbom_detail": Route(
        get=only("contributor", "administrator", others=NOT_FOUND, anonymous=LOGIN),
        kwargs=_pk("sbom"),
    ),
    "contributors:sbom_file": Route(
        get=only("contributor", "administrator", others=NOT_FOUND, anonymous=LOGIN),
        kwargs=_pk("sbom"),
    ),
    "contributors:pledge_sbom_change": Route(
        get=only("contributor", others=NOT_FOUND, anonymous=LOGIN),
        kwargs=lambda graph: {"pk": graph.pledge.pk, "sbom_pk": graph.sbom.pk},
        post=post_refused(NOT_FOUND, anonymous=LOGIN, allowed=("contributor",)),
        data=lambda graph: {"amount": "99"},
    ),
    "contributors:pledge_detail": Route(
        get=only("contributor", others=NOT_FOUND, anonymous=LOGIN), kwargs=_pk("pledge")
    ),
    "contributors:pledge_amend": Route(
        get=post_only_page(),
        kwargs=_pk("pledge"),
        post=post_refused(NOT_FOUND, anonymous=LOGIN, allowed=("contributor",)),
        data=lambda graph: {"amount": "99"},
    ),
    "contributors:pledge_action": Route(
        get=post_only_page(),
        kwargs=lambda graph: {"pk": graph.pledge.pk, "action": "cancel"},
        post=post_refused(NOT_FOUND, anonymous=LOGIN, allowed=("contributor",)),
    ),
    # Everyone signed in names themselves; the form is on "my account".
    "contributors:display_name": Route(
        get=post_only_page(),
        post={"anonymous": LOGIN, "staff_without_totp": TOTP},
        data=lambda graph: {"display_name": "Renamed"},
    ),
    "contributors:invitation_revoke": Route(
        get=post_only_page(),
        kwargs=lambda graph: {"pk": graph.organisation.pk, "invitation_pk": graph.invitation.pk},
        post=post_refused(NOT_FOUND, anonymous=LOGIN, allowed=("contributor",)),
    ),
    # The link in the invitation mail: whoever holds it sees the invitation, only
    # the invited address (verified) may accept; none of the personas has it.
    "contributors:invitation_accept": Route(
        get=signed_in(),
        kwargs=lambda graph: {"token": graph.invitation_token},
        post=post_refused(Expect(400), anonymous=LOGIN, allowed=()),
    ),
    "contributors:organisation_members": Route(
        get=only("contributor", others=NOT_FOUND, anonymous=LOGIN),
        kwargs=_pk("organisation"),
        post=post_refused(NOT_FOUND, anonymous=LOGIN, allowed=("contributor",)),
        data=lambda graph: {"email": "oscar.other@example.org", "role": "owner"},
    ),
    # --- funds: a contributor's documents, Stripe, reconciliation -------------------------
    "funds:payment_request_pdf": Route(
        get=only("contributor", others=NOT_FOUND, anonymous=LOGIN), kwargs=_pk("payment_request")
    ),
    "funds:receipt_pdf": Route(
        get=only("contributor", others=NOT_FOUND, anonymous=LOGIN),
        kwargs=lambda graph: {"pk": graph.receipt.pk, "language": "en"},
    ),
    # Stripe is off in the test settings: the payment page is a 404 for everyone.
    "funds:stripe_pay": Route(get=answers(NOT_FOUND, anonymous=LOGIN), kwargs=_pk("pledge")),
    "funds:stripe_complete": Route(
        get=post_only_page(),
        kwargs=_pk("pledge"),
        post=post_refused(NOT_FOUND, anonymous=LOGIN, allowed=("contributor",)),
        data=lambda graph: {"setup_intent": "seti_forged"},
    ),
    "funds:stripe_sync": Route(
        get=post_only_page(),
        kwargs=_pk("payment"),
        post=post_refused(NOT_FOUND, anonymous=LOGIN, allowed=("contributor",)),
    ),
    "funds:stripe_payments": Route(get=staff_page()),
    "funds:stripe_refund": Route(
        get=staff_page(),
        kwargs=_pk("payment"),
        post=post_refused(NOT_FOUND, anonymous=NOT_FOUND, allowed=("administrator",)),
        data=lambda graph: {"amount": "10", "reason": "forged"},
    ),
    "funds:statements": Route(
        get=staff_page(),
        post=post_refused(NOT_FOUND, anonymous=NOT_FOUND, allowed=("administrator",)),
    ),
    "funds:statement_detail": Route(get=staff_page(), kwargs=_pk("statement")),
    "funds:line_decide": Route(
        get=staff_page(NOT_ALLOWED),
        kwargs=_pk("line"),
        post=post_refused(NOT_FOUND, anonymous=NOT_FOUND, allowed=("administrator",)),
        data=lambda graph: {"decision": "ignore"},
    ),
    "funds:payment_request_mark_paid": Route(
        get=staff_page(NOT_ALLOWED),
        kwargs=_pk("payment_request"),
        post=post_refused(NOT_FOUND, anonymous=NOT_FOUND, allowed=("administrator",)),
        data=lambda graph: {"amount": "30", "received_on": "2026-01-05"},
    ),
    "funds:refund_review": Route(
        get=staff_page(NOT_ALLOWED),
        kwargs=_pk("refund"),
        post=post_refused(NOT_FOUND, anonymous=NOT_FOUND, allowed=("administrator",)),
    ),
    # --- projects ----------------------------------------------------------------------------
    "projects:list": Route(get=public()),
    "projects:detail": Route(get=public(), kwargs=_slug("project")),
    "projects:funding_json": Route(get=public(), kwargs=_slug("project")),
    "projects:mine": Route(get=signed_in()),
    "projects:manifest": Route(
        get=signed_in(),
        post=post_refused(LOGIN, anonymous=LOGIN, allowed=PERSONAS[1:]),
        data=lambda graph: {"url": "http://127.0.0.1:9/funding.json"},
    ),
    # A fetch's progress page: for the person who started it only.
    "projects:manifest_fetch": Route(
        get=only("maintainer", others=NOT_FOUND, anonymous=LOGIN), kwargs=_pk("manifest_fetch")
    ),
    "projects:claim_fetch": Route(
        get=only("contributor", others=NOT_FOUND, anonymous=LOGIN),
        kwargs=lambda graph: {"slug": graph.claimable.slug, "pk": graph.claim_fetch.pk},
    ),
    "projects:edit": Route(
        get=only("maintainer", others=NOT_FOUND, anonymous=LOGIN),
        kwargs=_slug("project"),
        post=post_refused(NOT_FOUND, anonymous=LOGIN, allowed=("maintainer",)),
        data=lambda graph: {"summary": "Defaced"},
    ),
    "projects:payout_account": Route(
        get=only("maintainer", others=NOT_FOUND, anonymous=LOGIN),
        kwargs=_slug("project"),
        post=post_refused(NOT_FOUND, anonymous=LOGIN, allowed=("maintainer",)),
        data=lambda graph: {
            "holder_name": "Intruder",
            "iban": "FR7630006000011234567890189",
            "bic": "AGRIFRPP",
            "address": "Elsewhere",
        },
    ),
    # Anyone signed in may claim a project (the claim page shows the token to
    # publish and the review form); proving it is the claim's own test.
    "projects:claim": Route(
        get=signed_in(),
        kwargs=_slug("claimable"),
        post=post_refused(LOGIN, anonymous=LOGIN, allowed=PERSONAS[1:]),
    ),
    # The claimant asks an administrator to review the claim (POST only).
    "projects:claim_review": Route(
        get=post_only_page(),
        kwargs=_slug("claimable"),
        post=post_refused(LOGIN, anonymous=LOGIN, allowed=PERSONAS[1:]),
    ),
    # --- governance ---------------------------------------------------------------------------
    "governance:about": Route(get=public()),
    "governance:register": Route(get=public()),
    "governance:decision": Route(get=public(), kwargs=_pk("decision")),
    "governance:bundle": Route(get=public(), kwargs=_pk("decision")),
    "governance:bundle_sha256": Route(get=public(), kwargs=_pk("decision")),
    "governance:meetings": Route(get=public()),
    "governance:meeting": Route(get=public(), kwargs=_pk("meeting")),
    "governance:portal": Route(get=only(*PORTAL, others=FORBIDDEN, anonymous=LOGIN)),
    "governance:interest": Route(
        get=post_only_page(),
        post=post_refused(FORBIDDEN, anonymous=LOGIN, allowed=PORTAL),
        data=lambda graph: {"project": graph.project.pk, "kind": "maintainer"},
    ),
    "governance:ballot": Route(
        get=only(*PORTAL, others=FORBIDDEN, anonymous=LOGIN),
        kwargs=_pk("ballot"),
        post=post_refused(FORBIDDEN, anonymous=LOGIN, allowed=PORTAL),
        data=lambda graph: {"choice": "yes"},
    ),
    "governance:proxy": Route(
        get=post_only_page(),
        kwargs=_pk("ballot"),
        post=post_refused(FORBIDDEN, anonymous=LOGIN, allowed=PORTAL),
        data=lambda graph: {"holder": graph.users["seat_holder"].pk},
    ),
}
