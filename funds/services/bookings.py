"""Many payments booked at once: a batch of a bank statement's transfers
(`funds.services.statements`) succeeds in a few statements rather than a few
dozen per payment, with the same rows and audit entries as `payment_succeed`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from contributors.enums import ContributorKind
from contributors.models import Earmark, Membership, Pledge
from contributors.services import pledges_record_payment_success
from funds.enums import AccountKind, JournalSource, PaymentEventSource, PaymentMethod, PaymentStatus
from funds.models import Payment, PaymentEvent, Receipt, ReceiptEarmark
from funds.services.ledger import journals_post_new, ledger_account
from funds.services.payments import PaymentError, payment_email_to
from librery.services import log_actions


def payments_succeed_many(
    *,
    succeeded: list[tuple[Payment, datetime]],
    source: PaymentEventSource | str,
    actor: Any = None,
) -> list[Receipt]:
    """`payment_succeed` for many bank transfers at once, each received in full
    (its amount, no processor fee) at its time: the same events, mails,
    receipts, ledger journals, pledge changes and audit entries. Each payment
    is pending and locked by the caller."""
    if not succeeded:
        return []
    source = PaymentEventSource(source)
    now = timezone.now()
    author = actor if getattr(actor, "is_authenticated", False) else None
    payments = [payment for payment, _at in succeeded]
    for payment in payments:
        if payment.status != PaymentStatus.PENDING or payment.method != PaymentMethod.BANK_TRANSFER:
            raise PaymentError(f"Payment #{payment.pk} is not a pending bank transfer.")
        payment.status, payment.updated_at = PaymentStatus.SUCCEEDED, now
    Payment.objects.filter(pk__in=[payment.pk for payment in payments]).update(
        status=PaymentStatus.SUCCEEDED, updated_at=now
    )
    PaymentEvent.objects.bulk_create(
        PaymentEvent(
            payment=payment, status=PaymentStatus.SUCCEEDED, at=at, source=source, actor=author
        )
        for payment, at in succeeded
    )
    moved = {"from": PaymentStatus.PENDING.value, "source": source.value, "stripe_event_id": ""}
    log_actions(
        entries=[("funds.payment.succeeded", payment, dict(moved)) for payment in payments],
        actor=actor,
    )
    pledges = Pledge.objects.select_related("contributor").in_bulk(
        {payment.pledge_id for payment in payments}
    )
    _emails_succeeded(payments, pledges)
    receipts = _receipts_record(succeeded, pledges)
    pledges_record_payment_success(pledge_ids=pledges, actor=actor)
    return receipts


def _emails_succeeded(payments: list[Payment], pledges: dict[int, Pledge]) -> None:
    """The "payment succeeded" mail of each payment, as `payment_email_enqueue`
    sends it (to the contributor's user and an organisation's members)."""
    organisations = {
        pledge.contributor_id
        for pledge in pledges.values()
        if pledge.contributor.kind == ContributorKind.ORGANISATION
    }
    members: dict[int, set[int]] = {}
    for contributor_id, user_id in Membership.objects.filter(
        contributor_id__in=organisations
    ).values_list("contributor_id", "user_id"):
        members.setdefault(contributor_id, set()).add(user_id)
    for payment in payments:
        contributor = pledges[payment.pledge_id].contributor
        payment_email_to(
            payment=payment,
            contributor=contributor,
            members=members.get(contributor.pk, set()),
            kind="succeeded",
        )


def _receipts_record(
    succeeded: list[tuple[Payment, datetime]], pledges: dict[int, Pledge]
) -> list[Receipt]:
    """The receipts of `succeeded` with their journals, earmark snapshots and
    lines and audit entries, as `receipt_record_for_payment` records each."""
    earmarks: dict[int, list[dict[str, int]]] = {}
    for pledge_id, project_id, share_bp in (
        Earmark.objects.filter(pledge_id__in=pledges)
        .order_by("pledge_id", "project_id")
        .values_list("pledge_id", "project_id", "share_bp")
    ):
        earmarks.setdefault(pledge_id, []).append({"project_id": project_id, "share_bp": share_bp})
    bank = ledger_account(kind=AccountKind.BANK)
    unallocated = ledger_account(kind=AccountKind.UNALLOCATED)
    journals = journals_post_new(
        source=JournalSource.RECEIPT,
        journals=[
            (
                f"payment-{payment.pk}",
                f"Receipt of payment #{payment.pk}",
                at,
                [(bank, payment.amount_cents), (unallocated, -payment.amount_cents)],
            )
            for payment, at in succeeded
        ],
    )
    receipts = Receipt.objects.bulk_create(
        Receipt(
            payment=payment,
            pledge=pledges[payment.pledge_id],
            contributor_id=pledges[payment.pledge_id].contributor_id,
            gross_cents=payment.amount_cents,
            processor_fee_cents=0,
            net_cents=payment.amount_cents,
            currency=payment.currency,
            received_at=at,
            earmarks=earmarks.get(payment.pledge_id, []),
            journal=journal,
        )
        for (payment, at), journal in zip(succeeded, journals, strict=True)
    )
    ReceiptEarmark.objects.bulk_create(
        ReceiptEarmark(receipt=receipt, project_id=line["project_id"], share_bp=line["share_bp"])
        for receipt in receipts
        for line in receipt.earmarks
    )
    log_actions(
        entries=[
            (
                "funds.receipt.recorded",
                receipt,
                {"payment": receipt.payment_id, "gross_cents": receipt.gross_cents, "fee_cents": 0},
            )
            for receipt in receipts
        ]
    )
    return receipts
