"""Reading a Software Bill of Materials: CycloneDX JSON (1.4 to 1.6) with
cyclonedx-python-lib, SPDX JSON (2.2 and 2.3) with spdx-tools, package URLs
with packageurl-python; never by hand.

What the platform reads of an SBOM is each component's identity (name,
version, package URL, repository addresses) and the dependency graph (which
components the application depends on directly). The fields it never reads
(licences, suppliers, hashes, evidence) are left out before the library parses
the document, so that a generator's odd licence text does not refuse a file
whose components are well formed.

Every error is an `SbomError` whose message names the problem in the reader's
language; nothing is stored before a file has parsed."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cyclonedx.model.component import Component
from cyclonedx.model.dependency import Dependency
from cyclonedx.schema import SchemaVersion
from django.utils.translation import gettext as _
from spdx_tools.spdx.model.relationship import RelationshipType
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

from contributors.errors import ContributorsError
from projects.identifiers import (
    IdentifierError,
    forge_repository_key,
    purl_key,
    purl_repository_key,
    repository_key,
)

MAX_SBOM_BYTES = 5 * 1024 * 1024
CYCLONEDX = "CycloneDX"
SPDX = "SPDX"
CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6")
SPDX_VERSIONS = ("SPDX-2.2", "SPDX-2.3")
MAX_SHOWN_PROBLEMS = 3

# The component fields the platform reads; the others are left out before parsing.
_CYCLONEDX_COMPONENT_FIELDS = frozenset(
    {"bom-ref", "type", "name", "group", "version", "purl", "externalReferences", "components"}
)
_CYCLONEDX_REFERENCE_FIELDS = frozenset({"type", "url"})
_SPDX_PACKAGE_UNREAD = frozenset(
    {
        "licenseConcluded",
        "licenseDeclared",
        "licenseInfoFromFiles",
        "licenseComments",
        "supplier",
        "originator",
        "checksums",
        "annotations",
        "copyrightText",
        "attributionTexts",
    }
)
_SPDX_DOCUMENT_UNREAD = frozenset(
    {"files", "snippets", "annotations", "hasExtractedLicensingInfos"}
)
# SPDX relationships whose second element the first one needs (and the reverse).
_SPDX_NEEDS = frozenset(
    {
        RelationshipType.DEPENDS_ON,
        RelationshipType.CONTAINS,
        RelationshipType.DEV_DEPENDENCY_OF,
        RelationshipType.RUNTIME_DEPENDENCY_OF,
    }
)
_SPDX_NEEDED_BY = frozenset(
    {
        RelationshipType.DEPENDENCY_OF,
        RelationshipType.CONTAINED_BY,
        RelationshipType.RUNTIME_DEPENDENCY_OF,
        RelationshipType.BUILD_DEPENDENCY_OF,
        RelationshipType.DEV_DEPENDENCY_OF,
        RelationshipType.OPTIONAL_DEPENDENCY_OF,
    }
)


class SbomError(ContributorsError, ValueError):
    """A file that cannot be read as a supported SBOM; the message says why."""


@dataclass(frozen=True)
class SbomComponent:
    """One component: `purl_key` and `repository_keys` are the keys that
    `projects.identifiers` defines; `direct` whether the application itself
    depends on it (every component, when the SBOM has no dependency graph)."""

    name: str
    version: str
    purl: str
    purl_key: str
    repository_keys: tuple[str, ...]
    direct: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "purl": self.purl,
            "purl_key": self.purl_key,
            "repository_keys": list(self.repository_keys),
            "direct": self.direct,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SbomComponent:
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            purl=str(data["purl"]),
            purl_key=str(data["purl_key"]),
            repository_keys=tuple(data["repository_keys"]),
            direct=bool(data["direct"]),
        )


@dataclass(frozen=True)
class ParsedSbom:
    format: str
    spec_version: str
    application: str
    sha256: str
    components: tuple[SbomComponent, ...]
    has_graph: bool = field(default=False)


def sbom_parse(raw: bytes) -> ParsedSbom:
    """The components of a CycloneDX or SPDX JSON document (raises SbomError)."""
    if len(raw) > MAX_SBOM_BYTES:
        raise SbomError(
            _("The file is too large: an SBOM may be at most %(max)d MB.")
            % {"max": MAX_SBOM_BYTES // (1024 * 1024)}
        )
    if not raw.strip():
        raise SbomError(_("The file is empty."))
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SbomError(
            _(
                "The file is not JSON. Upload a CycloneDX (1.4 to 1.6) or SPDX (2.2 or 2.3) "
                "SBOM in JSON; XML, tag-value and spreadsheet files are not supported."
            )
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    if isinstance(data, dict) and data.get("bomFormat") == CYCLONEDX:
        return _cyclonedx(data, digest)
    if isinstance(data, dict) and "spdxVersion" in data:
        return _spdx(data, digest)
    raise SbomError(
        _(
            "This JSON file is not an SBOM: a CycloneDX document has "
            "“bomFormat”: “CycloneDX”, an SPDX document has “spdxVersion”."
        )
    )


def _problems(messages: Iterable[str]) -> str:
    shown = [str(m)[:300] for m in messages][:MAX_SHOWN_PROBLEMS]
    return "; ".join(shown)


def _malformed(kind: str, detail: str) -> SbomError:
    return SbomError(
        _("The %(format)s document is malformed: %(detail)s") % {"format": kind, "detail": detail}
    )


# --- CycloneDX -------------------------------------------------------------------


def _cyclonedx_trim(component: Any) -> Any:
    if not isinstance(component, dict):
        return component
    trimmed = {k: v for k, v in component.items() if k in _CYCLONEDX_COMPONENT_FIELDS}
    references = trimmed.get("externalReferences")
    if isinstance(references, list):
        trimmed["externalReferences"] = [
            {k: v for k, v in ref.items() if k in _CYCLONEDX_REFERENCE_FIELDS}
            if isinstance(ref, dict)
            else ref
            for ref in references
        ]
    children = trimmed.get("components")
    if isinstance(children, list):
        trimmed["components"] = [_cyclonedx_trim(child) for child in children]
    return trimmed


def _cyclonedx(data: dict[str, Any], digest: str) -> ParsedSbom:
    version = str(data.get("specVersion", ""))
    if version not in CYCLONEDX_VERSIONS:
        raise SbomError(
            _("CycloneDX %(version)s is not supported: upload version 1.4, 1.5 or 1.6.")
            % {"version": version[:20] or "?"}
        )
    SchemaVersion.from_version(version)
    for key in ("components", "dependencies"):
        if not isinstance(data.get(key) or [], list):
            raise _malformed(CYCLONEDX, _("“%(field)s” is not a list.") % {"field": key})
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    try:
        with warnings.catch_warnings():
            # The library warns of fields deprecated by later versions: not our concern.
            warnings.simplefilter("ignore")
            # Each component read on its own: a whole `Bom` keeps its components in a
            # sorted set whose comparisons cost more than reading them (2.5 of 4.4 s
            # for 3 000 components), and the order is of no use here.
            root = (
                Component.from_json(_cyclonedx_trim(metadata["component"]))  # type: ignore[attr-defined]
                if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict)
                else None
            )
            read = [
                Component.from_json(_cyclonedx_trim(c))  # type: ignore[attr-defined]
                for c in data.get("components") or []
            ]
            dependencies = [
                Dependency.from_json(d)  # type: ignore[attr-defined]
                for d in data.get("dependencies") or []
            ]
    except Exception as error:  # noqa: BLE001 -- the library raises many kinds on bad input
        raise _malformed(CYCLONEDX, str(error)[:300] or type(error).__name__) from None
    root_ref = root.bom_ref.value if root is not None and root.bom_ref else None
    components = list(_cyclonedx_all(read))
    edges: dict[str, set[str]] = {}
    for dependency in dependencies:
        edges[str(dependency.ref.value)] = {str(d.ref.value) for d in dependency.dependencies}
    has_graph = bool(root_ref and edges.get(root_ref))
    direct_refs = edges.get(root_ref or "", set())
    parsed = tuple(
        _component(
            name="/".join(str(p) for p in (c.group, c.name) if p),
            version=str(c.version or ""),
            purl=c.purl.to_string() if c.purl is not None else "",
            vcs_urls=[str(r.url) for r in c.external_references if r.type.value == "vcs"],
            home_urls=[str(r.url) for r in c.external_references if r.type.value == "website"],
            direct=(not has_graph) or (c.bom_ref.value in direct_refs),
        )
        for c in components
    )
    return ParsedSbom(
        format=CYCLONEDX,
        spec_version=version,
        application=root.name if root is not None else "",
        sha256=digest,
        components=parsed,
        has_graph=has_graph,
    )


def _cyclonedx_all(components: Iterable[Component]) -> Iterator[Component]:
    for component in components:
        yield component
        yield from _cyclonedx_all(component.components)


# --- SPDX ------------------------------------------------------------------------


def _spdx(data: dict[str, Any], digest: str) -> ParsedSbom:
    version = str(data.get("spdxVersion", ""))
    if version not in SPDX_VERSIONS:
        raise SbomError(
            _("%(version)s is not supported: upload an SPDX 2.2 or 2.3 document.")
            % {"version": version[:20] or "?"}
        )
    document = {k: v for k, v in data.items() if k not in _SPDX_DOCUMENT_UNREAD}
    packages = document.get("packages")
    if isinstance(packages, list):
        document["packages"] = [
            {k: v for k, v in p.items() if k not in _SPDX_PACKAGE_UNREAD}
            if isinstance(p, dict)
            else p
            for p in packages
        ]
    try:
        parsed = JsonLikeDictParser().parse(document)  # type: ignore[no-untyped-call]
    except SPDXParsingError as error:
        messages = error.get_messages()  # type: ignore[no-untyped-call]
        raise _malformed(SPDX, _problems(messages)) from None
    except Exception as error:  # noqa: BLE001 -- the library raises many kinds on bad input
        raise _malformed(SPDX, str(error)[:300] or type(error).__name__) from None
    ids = {p.spdx_id for p in parsed.packages}
    described = {
        str(r.related_spdx_element_id)
        for r in parsed.relationships
        if r.relationship_type == RelationshipType.DESCRIBES
        and r.spdx_element_id == "SPDXRef-DOCUMENT"
    }
    # A generator that "describes" every package names no application: none is left out.
    roots = described & ids if described & ids != ids else set()
    needs: dict[str, set[str]] = {}
    for r in parsed.relationships:
        target = str(r.related_spdx_element_id)
        if r.relationship_type in _SPDX_NEEDS:
            needs.setdefault(r.spdx_element_id, set()).add(target)
        elif r.relationship_type in _SPDX_NEEDED_BY:
            needs.setdefault(target, set()).add(r.spdx_element_id)
    needs = {k: v & ids for k, v in needs.items() if k in ids and v & ids}
    direct = _spdx_direct(ids - roots, roots, needs)
    # A scanned directory ("." for syft) names no application: the document's name does.
    application = next((p.name for p in parsed.packages if p.spdx_id in roots), "")
    application = application if application.strip("./ ") else parsed.creation_info.name
    application = application if application.strip("./ ") else ""
    components = tuple(
        _component(
            name=p.name,
            version=p.version or "",
            purl=next(
                (ref.locator for ref in p.external_references if ref.reference_type == "purl"),
                "",
            ),
            vcs_urls=[u for u in _spdx_urls(p.download_location) if u.startswith(_VCS)],
            home_urls=[
                u
                for u in [*_spdx_urls(p.download_location), *_spdx_urls(p.homepage)]
                if not u.startswith(_VCS)
            ],
            direct=p.spdx_id in direct,
        )
        for p in parsed.packages
        if p.spdx_id not in roots
    )
    return ParsedSbom(
        format=SPDX,
        spec_version=version.removeprefix("SPDX-"),
        application=application,
        sha256=digest,
        components=components,
        has_graph=bool(needs),
    )


_VCS = ("git+", "git@", "git:", "ssh:", "hg+", "svn+")


def _spdx_urls(value: object) -> list[str]:
    """An address field's URL (NOASSERTION and NONE are not strings)."""
    return [value] if isinstance(value, str) else []


def _spdx_direct(components: set[str], roots: set[str], needs: dict[str, set[str]]) -> set[str]:
    """The components the application needs directly: those its root packages
    need or, with no root, those no other component needs; without any graph, all."""
    if not needs:
        return components
    if roots:
        return {c for r in roots for c in needs.get(r, set())} & components
    needed = {c for source, targets in needs.items() if source in components for c in targets}
    return components - needed


# --- one component ---------------------------------------------------------------


def _component(
    *,
    name: str,
    version: str,
    purl: str,
    vcs_urls: Iterable[str],
    home_urls: Iterable[str],
    direct: bool,
) -> SbomComponent:
    """A component's keys: its purl's, the repository its purl names, its source
    repository (any host) and its home page when it is on a forge."""
    key = ""
    repositories: list[str] = []
    if purl:
        try:
            key = purl_key(purl)
        except IdentifierError:
            purl = ""
        else:
            from_purl = purl_repository_key(purl)
            if from_purl:
                repositories.append(from_purl)
    found = [repository_key(url) for url in vcs_urls] + [forge_repository_key(u) for u in home_urls]
    for repository in found:
        if repository and repository not in repositories:
            repositories.append(repository)
    return SbomComponent(
        name=name[:300],
        version=version[:100],
        purl=purl[:500],
        purl_key=key,
        repository_keys=tuple(repositories),
        direct=direct,
    )
