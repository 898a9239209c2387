from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from librery.models import LogEntry
from projects import selectors, services
from projects.enums import ProjectStatus
from projects.models import Project, ProjectUsage
from tests.paths import DATA

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
PUBLISHED_SILL = DATA / "sill" / "sill-2020.csv"


def test_import_creates_proposed_projects_from_the_real_catalogue() -> None:
    result = services.sill_import()
    assert result == services.ImportResult(created=225, updated=0, unchanged=0)
    assert Project.objects.count() == 225
    assert set(Project.objects.values_list("status", flat=True)) == {ProjectStatus.PROPOSED}
    seven_zip = Project.objects.get(source="sill-2020", source_ref="1")
    assert seven_zip.name == "7zip"
    assert seven_zip.summary == "Compression"
    assert seven_zip.licences == ["LGPL-2.0-only"]
    assert seven_zip.tags == ["Données et contenu", "Compression décompression"]
    assert LogEntry.objects.filter(action="projects.project.imported").count() == 225


def test_second_import_changes_nothing() -> None:
    services.sill_import()
    before = list(Project.objects.order_by("id").values())
    usages = list(ProjectUsage.objects.order_by("id").values())
    assert services.sill_import() == services.ImportResult(created=0, updated=0, unchanged=225)
    assert list(Project.objects.order_by("id").values()) == before
    assert list(ProjectUsage.objects.order_by("id").values()) == usages


def test_changed_source_rows_are_updated_and_audited(tmp_path: Path) -> None:
    services.sill_import()
    changed = tmp_path / "sill.csv"
    text = services.SILL_CSV.read_text(encoding="utf-8")
    changed.write_text(
        text.replace("1,7zip,Compression,", "1,7zip,Archivage,", 1), encoding="utf-8"
    )
    assert services.sill_import(path=changed) == services.ImportResult(
        created=0, updated=1, unchanged=224
    )
    assert Project.objects.get(source_ref="1").summary == "Archivage"
    entry = LogEntry.objects.get(action="projects.project.updated_from_source")
    assert entry.object_id == str(Project.objects.get(source_ref="1").pk)


def test_multi_licence_rows_are_split_and_normalised_to_spdx() -> None:
    services.sill_import()
    licences = {tuple(p.licences) for p in Project.objects.all()}
    assert ("GPL-2.0-only", "LGPL-2", "MPL-1.1") in licences
    assert ("MPL-2.0", "EPL-1.0") in licences
    assert ("GPL-2.0-only",) in licences
    flagged = {
        entry for values in licences for entry in selectors.unrecognised_licences(list(values))
    }
    # Ambiguous spellings (only or or-later?) stay as written, flagged.
    assert flagged == {"AGPL-3", "CPA", "GPL-3", "LGPL-2", "LGPL-3", "LGPL-v2.1"}


def test_sill_projects_are_declared_used_by_public_bodies() -> None:
    services.sill_import()
    usage = ProjectUsage.objects.get(project__source_ref="1")
    assert (usage.organisation, usage.is_public_body, usage.source) == (
        "MIMO (SILL 2020)",
        True,
        "sill-2020",
    )
    assert ProjectUsage.objects.count() == 225


def test_shipped_csv_is_the_published_one() -> None:
    """The product ships DISIC/sill's file unchanged: byte-identical to the test copy,
    whose SOURCES.md names the repository, path and commit."""
    assert services.SILL_CSV.read_bytes() == PUBLISHED_SILL.read_bytes()
    assert "DISIC/sill | 2020/sill-2020.csv" in (PUBLISHED_SILL.parent / "SOURCES.md").read_text(
        encoding="utf-8"
    )
    assert (
        (services.SILL_CSV.parent / "SOURCE.md")
        .read_text(encoding="utf-8")
        .count("Licence Ouverte 2.0")
    )


def test_command_reports_counts(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("import_sill")
    assert "225 created, 0 updated, 0 unchanged" in capsys.readouterr().out


def test_bad_file_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ID,nom\n1,Foo\n", encoding="utf-8")
    with pytest.raises(
        CommandError, match="missing columns: composant, fonction, licence, secteur"
    ):
        call_command("import_sill", str(bad))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_sill", str(tmp_path / "absent.csv"))
    assert Project.objects.count() == 0
