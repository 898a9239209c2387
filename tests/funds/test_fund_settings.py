from __future__ import annotations

from datetime import UTC, datetime

import pytest

from funds.enums import FundSettingKey
from funds.selectors import fund_setting_value, fund_settings_at
from funds.services import FundSettingError, fund_setting_change
from librery.models import LogEntry

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
JAN = datetime(2026, 1, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)


def test_defaults_apply_until_a_decision_sets_a_value() -> None:
    assert fund_setting_value(key=FundSettingKey.EARMARK_CAP_BP, at=JAN) == 5000
    fund_setting_change(
        key=FundSettingKey.EARMARK_CAP_BP, value=4000, effective_at=MAR, decision_reference="D-7"
    )
    assert fund_setting_value(key=FundSettingKey.EARMARK_CAP_BP, at=JAN) == 5000
    assert fund_setting_value(key=FundSettingKey.EARMARK_CAP_BP, at=MAR) == 4000
    settings = fund_settings_at(at=MAR)
    assert settings["earmark_cap_bp"] == 4000
    assert settings["management_fee_bp"] == 0
    assert LogEntry.objects.get(action="funds.setting.changed").data == {
        "key": "earmark_cap_bp",
        "value": 4000,
        "decision": "D-7",
    }


def test_replaying_a_change_is_harmless_but_a_conflict_is_refused() -> None:
    first = fund_setting_change(
        key="management_fee_bp", value=200, effective_at=MAR, decision_reference="D-8"
    )
    again = fund_setting_change(
        key="management_fee_bp", value=200, effective_at=MAR, decision_reference="D-8"
    )
    assert again.pk == first.pk
    with pytest.raises(FundSettingError, match="already has a value"):
        fund_setting_change(
            key="management_fee_bp", value=300, effective_at=MAR, decision_reference="D-9"
        )


@pytest.mark.parametrize(
    ("key", "value", "reference", "message"),
    [
        ("no_such_setting", 1, "D-1", "Unknown fund setting"),
        ("earmark_cap_bp", 10_001, "D-1", "between 0 and 10000"),
        ("pledge_min_cents", 0, "D-1", "between 1 and"),
        ("earmark_cap_bp", "5000", "D-1", "whole number"),
        ("earmark_cap_bp", 5000, "  ", "only through a recorded decision"),
    ],
)
def test_bad_values_are_refused(key: str, value: object, reference: str, message: str) -> None:
    with pytest.raises(FundSettingError, match=message):
        fund_setting_change(key=key, value=value, effective_at=JAN, decision_reference=reference)  # type: ignore[arg-type]
    assert fund_setting_value(key=FundSettingKey.EARMARK_CAP_BP, at=JAN) == 5000
