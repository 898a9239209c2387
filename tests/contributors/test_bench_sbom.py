"""`manage.py bench_sbom` (issue 15): it runs (a small size here, its timings never
asserted), prints its figures with the ratio last, and leaves nothing behind."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from projects.models import Project, ProjectIdentifier
from tests.services import is_postgresql, need

pytestmark = [pytest.mark.integration]


@pytest.mark.django_db(transaction=True)
def test_the_benchmark_prints_its_figures_and_leaves_nothing():
    need(is_postgresql(), "the benchmark's figures are PostgreSQL's")
    out = StringIO()
    call_command("bench_sbom", "--components", "400", "--projects", "60", "--parse", stdout=out)
    expected = [
        r"catalogue: 60 projects, 86 identifiers \(\d+\.\d s\)",
        r"sbom: 400 components, 60 projects found, 300 components unmatched",
        r"baseline: count of 400 keys \d+\.\d ms",
        r"parse: CycloneDX 1\.6 JSON of 400 components, \d+ KiB, \d+ ms \(cyclonedx-python-lib\)",
        r"match: \d+\.\d ms, 1 query; \d+\.\d\d x the baseline",
    ]
    lines = out.getvalue().splitlines()
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert Project.objects.count() == 0
    assert ProjectIdentifier.objects.count() == 0


@pytest.mark.django_db
def test_the_benchmark_refuses_sqlite_and_bad_sizes():
    for wrong in ("1e4", "²", "0"):
        with pytest.raises(CommandError, match="positive whole numbers"):
            call_command("bench_sbom", "--components", wrong, stdout=StringIO())
    if is_postgresql():
        return
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("bench_sbom", "--components", "10", stdout=StringIO())
