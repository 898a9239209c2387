"""Many payments booked at once: a batch of a bank statement's transfers
(`funds.services.statements`) or of the daily card charges
(`funds.stripe.services`) succeeds in a few statements rather than a few
dozen per payment, with the same rows and audit entries as `payment_succeed`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone

from contributors.enums import ContributorKind
from contributors.models import Earmark, Membership, Pledge
from contributors.services import pledges_record_payment_success
from funds.enums import AccountKind, JournalSource, PaymentEventSource, PaymentMethod, PaymentStatus
from funds.models import Payment, PaymentEvent, Receipt, ReceiptEarmark
from funds.services.ledger import journals_post_new, ledger_accounts
from funds.services.payments import (
    PaymentError,
    cash_kind_for,
    check_receipt_amounts,
    payment_email_to,
)
from librery.rows import rows_write
from librery.services import log_actions


@dataclass(frozen=True)
class Settled:
    """A payment to book as succeeded: received at `at`, `gross_cents` of which
    the processor kept `fee_cents`, reported by `stripe_event_id` (if any)."""

    payment: Payment
    at: datetime
    gross_cents: int
    fee_cents: int = 0
    stripe_event_id: str = ""
    stripe_payment_intent_id: str | None = None


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
    for payment, _at in succeeded:
        if payment.method != PaymentMethod.BANK_TRANSFER:
            raise PaymentError(f"Payment #{payment.pk} is not a pending bank transfer.")
    return payments_settle_many(
        settled=[Settled(payment, at, payment.amount_cents) for payment, at in succeeded],
        source=source,
        actor=actor,
    )


def payments_settle_many(
    *,
    settled: list[Settled],
    source: PaymentEventSource | str,
    actor: Any = None,
    pledges: dict[int, Pledge] | None = None,
) -> list[Receipt]:
    """`payment_succeed` for many pending payments at once (a batch of a bank
    statement's transfers, of the daily card charges): the same events, mails,
    receipts, ledger journals (cash the net, processor fees the fee, unallocated
    receipts the gross), pledge changes and audit entries, in a few statements
    for the whole batch. Each payment is pending and locked by the caller; a
    `Settled` with a PaymentIntent id attaches it. With `pledges` (by id), the
    payments' pledges, with their contributors, are rows the caller locked in
    its open transaction, and are not read again."""
    if not settled:
        return []
    source = PaymentEventSource(source)
    now = timezone.now()
    author = actor if getattr(actor, "is_authenticated", False) else None
    payments = [item.payment for item in settled]
    for item in settled:
        payment = item.payment
        if payment.status != PaymentStatus.PENDING:
            raise PaymentError(f"Payment #{payment.pk} is not pending ({payment.status}).")
        check_receipt_amounts(item.gross_cents, item.fee_cents)
        payment.status, payment.updated_at = PaymentStatus.SUCCEEDED, now
        if item.stripe_payment_intent_id is not None:
            payment.stripe_payment_intent_id = item.stripe_payment_intent_id
    if any(item.stripe_payment_intent_id is not None for item in settled):
        _succeeded_with_intents(settled, now)
    else:
        Payment.objects.filter(pk__in=[payment.pk for payment in payments]).update(
            status=PaymentStatus.SUCCEEDED, updated_at=now
        )
    rows_write(
        PaymentEvent,
        ("payment_id", "status", "at", "source", "stripe_event_id", "actor_id"),
        (
            (
                item.payment.pk,
                PaymentStatus.SUCCEEDED,
                item.at,
                source,
                item.stripe_event_id,
                author.pk if author is not None else None,
            )
            for item in settled
        ),
    )
    moves: list[tuple[str, models.Model, dict[str, Any]]] = [
        (
            "funds.payment.succeeded",
            item.payment,
            {
                "from": PaymentStatus.PENDING.value,
                "source": source.value,
                "stripe_event_id": item.stripe_event_id,
            },
        )
        for item in settled
    ]
    locked = pledges is not None
    if pledges is None:
        pledges = Pledge.objects.select_related("contributor").in_bulk(
            {payment.pledge_id for payment in payments}
        )
    _emails_succeeded(payments, pledges)
    receipts, recorded = _receipts_record(settled, pledges)
    if author is None:  # the audit entries of the moves and of the receipts in one statement
        log_actions(entries=[*moves, *recorded])
    else:  # the receipts' entries have no author, as `payment_succeed` writes them
        log_actions(entries=moves, actor=actor)
        log_actions(entries=recorded)
    pledges_record_payment_success(
        pledge_ids=pledges,
        actor=actor,
        locked=sorted(pledges.values(), key=lambda pledge: pledge.pk) if locked else None,
    )
    return receipts


_PAYMENTS = Payment._meta.db_table  # noqa: SLF001 -- Django's public model metadata


def _succeeded_with_intents(settled: list[Settled], now: datetime) -> None:
    """One UPDATE of the payments, succeeded, each with its PaymentIntent id,
    joined to a VALUES list (``bulk_update``'s CASE costs more to build than
    the whole booking)."""
    rows = ", ".join(["(%s, %s)"] * len(settled))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_PAYMENTS} SET status = %s, updated_at = %s, "  # noqa: S608 -- ours
            f"stripe_payment_intent_id = COALESCE(v.column2, stripe_payment_intent_id) "
            f"FROM (VALUES {rows}) AS v "
            f"WHERE {_PAYMENTS}.id = v.column1",
            [
                PaymentStatus.SUCCEEDED.value,
                connection.ops.adapt_datetimefield_value(now),
                *(
                    value
                    for item in settled
                    for value in (item.payment.pk, item.stripe_payment_intent_id)
                ),
            ],
        )


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
    settled: list[Settled], pledges: dict[int, Pledge]
) -> tuple[list[Receipt], list[tuple[str, models.Model, dict[str, Any]]]]:
    """The receipts of `settled` with their journals, earmark snapshots and
    lines, as `receipt_record_for_payment` records each, and their audit entries
    to write."""
    earmarks: dict[int, list[dict[str, int]]] = {}
    for pledge_id, project_id, share_bp in (
        Earmark.objects.filter(pledge_id__in=pledges)
        .order_by("pledge_id", "project_id")
        .values_list("pledge_id", "project_id", "share_bp")
    ):
        earmarks.setdefault(pledge_id, []).append({"project_id": project_id, "share_bp": share_bp})
    kinds = {cash_kind_for(item.payment) for item in settled} | {AccountKind.UNALLOCATED}
    if any(item.fee_cents for item in settled):
        kinds.add(AccountKind.PROCESSOR_FEES)
    accounts = ledger_accounts(kinds=sorted(kinds))
    journals = journals_post_new(
        source=JournalSource.RECEIPT,
        journals=[
            (
                f"payment-{item.payment.pk}",
                f"Receipt of payment #{item.payment.pk}",
                item.at,
                [
                    (accounts[cash_kind_for(item.payment)], item.gross_cents - item.fee_cents),
                    *(
                        [(accounts[AccountKind.PROCESSOR_FEES], item.fee_cents)]
                        if item.fee_cents
                        else []
                    ),
                    (accounts[AccountKind.UNALLOCATED], -item.gross_cents),
                ],
            )
            for item in settled
        ],
    )
    receipts = Receipt.objects.bulk_create(
        Receipt(
            payment=item.payment,
            pledge=pledges[item.payment.pledge_id],
            contributor_id=pledges[item.payment.pledge_id].contributor_id,
            gross_cents=item.gross_cents,
            processor_fee_cents=item.fee_cents,
            net_cents=item.gross_cents - item.fee_cents,
            currency=item.payment.currency,
            received_at=item.at,
            earmarks=earmarks.get(item.payment.pledge_id, []),
            journal=journal,
        )
        for item, journal in zip(settled, journals, strict=True)
    )
    rows_write(
        ReceiptEarmark,
        ("receipt_id", "project_id", "share_bp"),
        (
            (receipt.pk, line["project_id"], line["share_bp"])
            for receipt in receipts
            for line in receipt.earmarks
        ),
    )
    return receipts, [
        (
            "funds.receipt.recorded",
            receipt,
            {
                "payment": receipt.payment_id,
                "gross_cents": receipt.gross_cents,
                "fee_cents": receipt.processor_fee_cents,
            },
        )
        for receipt in receipts
    ]
