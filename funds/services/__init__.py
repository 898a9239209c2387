"""Writes of the fund, by workflow: settings, the ledger, payments, refunds and
bank transfers. The public names are re-exported here."""

from funds.services.bank_transfers import (
    StatementError,
    payment_request_issue,
    payment_request_mark_paid,
    payment_requests_issue_due,
    statement_line_decide,
    structured_reference,
)
from funds.services.ledger import (
    LedgerError,
    LegSpec,
    journal_post,
    ledger_account,
    ledger_project_accounts,
)
from funds.services.payments import (
    RECEIPTABLE_STATUSES,
    PaymentError,
    payment_attach_stripe_intent,
    payment_create,
    payment_email_enqueue,
    payment_succeed,
    payment_transition,
    receipt_earmarks_record,
    receipt_record_for_payment,
)
from funds.services.pledges import pledge_amend, pledge_create, pledge_submit, pledge_validate
from funds.services.refunds import refund_fail, refund_mark_reviewed, refund_record, refund_succeed
from funds.services.settings import FundSettingError, fund_setting_change
from funds.services.statements import StatementImport, bank_statement_import

__all__ = [
    "RECEIPTABLE_STATUSES",
    "FundSettingError",
    "LedgerError",
    "LegSpec",
    "PaymentError",
    "StatementError",
    "StatementImport",
    "bank_statement_import",
    "fund_setting_change",
    "journal_post",
    "ledger_account",
    "ledger_project_accounts",
    "payment_attach_stripe_intent",
    "payment_create",
    "payment_email_enqueue",
    "payment_request_issue",
    "payment_request_mark_paid",
    "payment_requests_issue_due",
    "payment_succeed",
    "payment_transition",
    "pledge_amend",
    "pledge_create",
    "pledge_submit",
    "pledge_validate",
    "receipt_earmarks_record",
    "receipt_record_for_payment",
    "refund_fail",
    "refund_mark_reviewed",
    "refund_record",
    "refund_succeed",
    "statement_line_decide",
    "structured_reference",
]
