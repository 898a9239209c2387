"""The fund's models, by workflow; every model is importable from here."""

from funds.models.bank_transfers import (
    BankStatement,
    BankStatementLine,
    PaymentRequest,
    PaymentRequestCounter,
)
from funds.models.ledger import Account, Journal, JournalLeg, ProjectMonthTotal, ProjectTotal
from funds.models.payments import Payment, PaymentEvent, Receipt, ReceiptEarmark, Refund
from funds.models.settings import FundSettingValue
from funds.models.stripe import StripeEvent

__all__ = [
    "Account",
    "BankStatement",
    "BankStatementLine",
    "FundSettingValue",
    "Journal",
    "JournalLeg",
    "Payment",
    "PaymentEvent",
    "PaymentRequest",
    "PaymentRequestCounter",
    "ProjectMonthTotal",
    "ProjectTotal",
    "Receipt",
    "ReceiptEarmark",
    "Refund",
    "StripeEvent",
]
