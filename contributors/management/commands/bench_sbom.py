"""The SBOM matching benchmark (issue 15): `manage.py bench_sbom [--components
10000] [--projects 5000] [--parse]`, PostgreSQL only.

It builds a catalogue (each project with a package URL, a third of them with a
repository, every tenth with a purl prefix) and an SBOM of that many
components (a quarter of them the catalogue's, by purl, prefix or repository;
the rest unknown), then prints, best of 3:

- the baseline: a plain count of the components' keys, ``SELECT count(*) FROM
  unnest(%s::text[])``, the same keys passed as one array;
- the matching (`sbom_match`: every key in one query, the components mapped to
  their projects), as a ratio to the baseline, with its number of queries;
- with `--parse`, the time cyclonedx-python-lib takes to read the same SBOM as
  a CycloneDX 1.6 JSON file (upload only; no ratio).

Everything happens in one transaction that is rolled back at the end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from contributors.sbom import SbomComponent, sbom_parse
from contributors.selectors_sbom import sbom_match
from librery.numbers import whole_number
from projects.enums import IdentifierKind, IdentifierSource, ProjectStatus
from projects.models import Project, ProjectIdentifier

MATCHING_SHARE = 4  # one component in MATCHING_SHARE is in the catalogue


def _best_of_3(work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(3):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def _positive(text: str) -> int:
    number = whole_number(text)
    if number is None or number < 1:
        raise CommandError(f"Sizes are positive whole numbers, not {text!r}.")
    return number


class Command(BaseCommand):
    help = "Time the matching of an SBOM against the catalogue (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--components", default="10000")
        parser.add_argument("--projects", default="5000")
        parser.add_argument("--parse", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        size = _positive(options["components"])
        projects = _positive(options["projects"])
        if connection.vendor != "postgresql":
            raise CommandError("bench_sbom needs PostgreSQL (the figures are its own).")
        with transaction.atomic():
            self._bench(size=size, projects=projects, parse=options["parse"])
            transaction.set_rollback(True)

    def _bench(self, *, size: int, projects: int, parse: bool) -> None:
        started = time.perf_counter()
        built = Project.objects.bulk_create(
            Project(
                name=f"Bench project {n}",
                slug=f"bench-sbom-{n}",
                status=ProjectStatus.ADMITTED if n % 3 else ProjectStatus.PROPOSED,
            )
            for n in range(projects)
        )
        identifiers = []
        for n, project in enumerate(built):
            identifiers.append((project, IdentifierKind.PURL, f"pypi/bench-{n}"))
            if n % 3 == 0:
                identifiers.append((project, IdentifierKind.REPOSITORY, f"github.com/bench/r{n}"))
            if n % 10 == 0:
                identifiers.append((project, IdentifierKind.PURL_PREFIX, f"npm/@bench{n}/"))
        ProjectIdentifier.objects.bulk_create(
            ProjectIdentifier(project=p, kind=k, value=v, source=IdentifierSource.MAINTAINER)
            for p, k, v in identifiers
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE projects_project, projects_projectidentifier")
        self.stdout.write(
            f"catalogue: {projects} projects, {len(identifiers)} identifiers "
            f"({time.perf_counter() - started:.1f} s)"
        )
        components = [self._component(n, projects) for n in range(size)]
        keys = [c.purl_key for c in components]

        def baseline() -> int:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM unnest(%s::text[])", [keys])
                return int(cursor.fetchone()[0])

        base_seconds, counted = _best_of_3(baseline)
        with CaptureQueriesContext(connection) as queries:
            match_seconds, matches = _best_of_3(lambda: sbom_match(components))
        found = len(matches.matched) + len(matches.not_admitted)
        self.stdout.write(
            f"sbom: {counted} components, {found} projects found, "
            f"{len(matches.unmatched)} components unmatched"
        )
        self.stdout.write(f"baseline: count of {counted} keys {base_seconds * 1000:.1f} ms")
        if parse:
            raw = self._cyclonedx(components)
            parse_seconds, _parsed = _best_of_3(lambda: sbom_parse(raw))
            self.stdout.write(
                f"parse: CycloneDX 1.6 JSON of {size} components, {len(raw) // 1024} KiB, "
                f"{parse_seconds * 1000:.0f} ms (cyclonedx-python-lib)"
            )
        self.stdout.write(
            f"match: {match_seconds * 1000:.1f} ms, {len(queries) // 3} query; "
            f"{match_seconds / base_seconds:.2f} x the baseline"
        )

    @staticmethod
    def _component(n: int, projects: int) -> SbomComponent:
        target = (n // MATCHING_SHARE) % projects
        repositories: tuple[str, ...]
        if n % MATCHING_SHARE:
            key, repositories = f"pypi/unknown-{n}", ()
        elif target % 10 == 0 and n % 8 == 0:
            key, repositories = f"npm/@bench{target}/part-{n}", ()
        elif target % 3 == 0 and n % 12 == 0:
            key, repositories = f"golang/other/m{n}", (f"github.com/bench/r{target}",)
        else:
            key, repositories = f"pypi/bench-{target}", ()
        return SbomComponent(
            name=key.rsplit("/", 1)[-1],
            version="1.0",
            purl=f"pkg:{key}@1.0",
            purl_key=key,
            repository_keys=repositories,
            direct=n % 5 == 0,
        )

    @staticmethod
    def _cyclonedx(components: list[SbomComponent]) -> bytes:
        document = {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "components": [
                {
                    "type": "library",
                    "bom-ref": f"c{n}",
                    "name": c.name,
                    "version": c.version,
                    "purl": c.purl.replace("@bench", "%40bench"),
                }
                for n, c in enumerate(components)
            ],
        }
        return json.dumps(document).encode()
