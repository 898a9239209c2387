"""Which catalogue projects a set of package URLs and repositories names: one
query for the whole set, whatever its size (a Software Bill of Materials of
10 000 components is one statement, its keys passed as one array)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Lookup, Q
from django.db.models.sql.compiler import SQLCompiler

from projects.enums import IdentifierKind
from projects.models import Project, ProjectIdentifier


class _InKeys(Lookup):  # type: ignore[type-arg]
    """``value`` is one of a list of keys, passed as ONE parameter (an array on
    PostgreSQL, a JSON list on SQLite): no limit on the number of keys and one
    statement text whatever their number."""

    lookup_name = "in_keys"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return sorted(self.rhs)

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":  # pragma: postgresql only
            return f"{lhs} IN (SELECT unnest(%s::text[]))", [*lhs_params, list(self.rhs)]
        return (  # pragma: sqlite only
            f"{lhs} IN (SELECT value FROM json_each(%s))",  # noqa: S608 -- a column name
            [*lhs_params, json.dumps(list(self.rhs))],
        )


ProjectIdentifier._meta.get_field("value").register_lookup(_InKeys)  # noqa: SLF001 -- Django's API


@dataclass(frozen=True)
class IdentifierHit:
    kind: str
    value: str
    project: Project


def identifier_hits(
    *,
    purl_keys: Collection[str],
    prefix_keys: Collection[str],
    repository_keys: Collection[str],
) -> list[IdentifierHit]:
    """Every declared identifier among the keys, with its project (any status):
    one query."""
    wanted = [
        (IdentifierKind.PURL, set(purl_keys)),
        (IdentifierKind.PURL_PREFIX, set(prefix_keys)),
        (IdentifierKind.REPOSITORY, set(repository_keys)),
    ]
    condition = Q()
    for kind, keys in wanted:
        if keys:
            condition |= Q(kind=kind, value__in_keys=keys)
    if not condition:
        return []
    rows: Iterable[ProjectIdentifier] = (
        ProjectIdentifier.objects.filter(condition)
        .select_related("project")
        .only(
            "kind",
            "value",
            "project__name",
            "project__slug",
            "project__status",
            "project__summary",
            "project__summary_en",
        )
        .order_by("project__name", "project_id", "kind", "value")
    )
    seen: set[tuple[str, str, int]] = set()
    hits = []
    for row in rows:
        key = (row.kind, row.value, row.project_id)
        if key not in seen:  # the same key from two sources
            seen.add(key)
            hits.append(IdentifierHit(kind=row.kind, value=row.value, project=row.project))
    return hits
