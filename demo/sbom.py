"""The demo's SBOM journey: a few demo projects declare the identifiers by which
SBOMs name them, and `demo/data/demo-application.cdx.json` (a fictional
application's CycloneDX SBOM, written for the demo) names some of them, one
project not admitted and components outside the catalogue. Idempotent."""

from __future__ import annotations

from pathlib import Path

from projects import services as project_services
from projects.enums import IdentifierSource
from projects.models import Project, ProjectIdentifier
from projects.services.identifiers import identifier_parse

DEMO_SBOM = Path(__file__).resolve().parent / "data" / "demo-application.cdx.json"

# SILL name -> what its maintainers would declare.
DEMO_IDENTIFIERS = {
    "PostgreSQL": "https://github.com/postgres/postgres",
    "Qgis": "https://github.com/qgis/QGIS",
    "LibreOffice": "pkg:generic/libreoffice",
    "GLPI": "https://github.com/glpi-project/glpi",
    "Redis": "pkg:generic/redis",  # in the catalogue, not admitted in the demo
}


def demo_identifiers() -> int:
    """Declare the demo identifiers; the number of projects that have them."""
    declared = 0
    for project in Project.objects.filter(
        source=project_services.SILL_SOURCE, name__in=DEMO_IDENTIFIERS
    ):
        kind, value = identifier_parse(DEMO_IDENTIFIERS[project.name])
        ProjectIdentifier.objects.get_or_create(
            project=project,
            kind=kind,
            value=value,
            defaults={"source": IdentifierSource.MAINTAINER},
        )
        declared += 1
    return declared
