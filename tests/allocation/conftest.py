"""Fixtures of the disbursement tests: a computed month and two administrators."""

from __future__ import annotations

import pytest

from tests.allocation.disbursement import Admin, Month, computed_month, make_admin


@pytest.fixture
def month() -> Month:
    return computed_month()


@pytest.fixture
def ada() -> Admin:
    return make_admin("Ada Admin", "ada@example.org")


@pytest.fixture
def bob() -> Admin:
    return make_admin("Bob Admin", "bob@example.org")
