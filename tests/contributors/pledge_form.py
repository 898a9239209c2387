"""What the pledge form posts for a monthly card pledge of 50 € given as
oneself, by name: tests override the fields they are about."""

from __future__ import annotations

import uuid


def pledge_form_data(**overrides: str) -> dict[str, str]:
    data = {
        "pay_as": "me",
        "visibility": "named",
        "frequency": "monthly",
        "amount": "50",
        "payment_method": "card",
        "token": str(uuid.uuid4()),  # a new form each time
    }
    data.update(overrides)
    return data
