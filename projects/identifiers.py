"""How a project is recognised in a Software Bill of Materials: package URLs
(purls, read with packageurl-python) and repository addresses, each reduced to
one comparable key so that matching is a set lookup.

- A purl's key is ``type/namespace/name`` in lower case, without version,
  qualifiers or subpath (``pkg:pypi/Django@5.2`` is ``pypi/django``; PyPI names
  are normalised as pip does, ``Foo_Bar`` is ``foo-bar``).
- A purl prefix (``pkg:npm/@angular/*``) has the key of its namespace followed
  by ``/`` (``npm/@angular/``): it matches every package below it.
- A repository's key is its host and path in lower case, without scheme, user,
  ``www.``, ``.git`` or a trailing ``/`` (``github.com/django/django``); on the
  big forges only the owner and the repository are kept.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from packageurl import PackageURL

# Forges whose repository address is host/owner/name, whatever follows.
_TWO_SEGMENT_FORGES = frozenset({"github.com", "bitbucket.org", "codeberg.org"})
# Hosts whose pages (a package's home page) are its repository.
FORGE_HOSTS = frozenset(
    {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "framagit.org", "git.sr.ht"}
)
# purl types that name a repository on a forge.
_FORGE_PURL_TYPES = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
_PYPI_SEPARATORS = re.compile(r"[-_.]+")
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")
MAX_KEY_LENGTH = 500


class IdentifierError(ValueError):
    """Text that is neither a package URL nor a repository address."""


def _purl(text: str) -> PackageURL:
    try:
        return PackageURL.from_string(text.strip())
    except ValueError as error:
        raise IdentifierError(str(error)) from None


def _purl_name(purl: PackageURL) -> str:
    name = purl.name.lower()
    if purl.type == "pypi":
        return _PYPI_SEPARATORS.sub("-", name)
    return name


def purl_key(text: str) -> str:
    """The key of a package URL (raises IdentifierError when it is not one)."""
    purl = _purl(text)
    parts = [purl.type.lower(), (purl.namespace or "").lower(), _purl_name(purl)]
    return "/".join(part for part in parts if part)[:MAX_KEY_LENGTH]


def purl_prefix_key(text: str) -> str:
    """The key of a purl prefix, written ``pkg:type/namespace/*`` or
    ``pkg:type/namespace/``: the namespace's key followed by ``/``."""
    stripped = text.strip().removesuffix("*").rstrip("/")
    return purl_key(stripped) + "/"


def prefix_keys(key: str) -> list[str]:
    """Every prefix key that covers the purl key `key`: ``npm/@angular/core``
    gives ``npm/`` and ``npm/@angular/``."""
    parts = key.split("/")
    return ["/".join(parts[:size]) + "/" for size in range(1, len(parts))]


def repository_key(url: str) -> str | None:
    """The key of a repository address (https, git+https, ssh or ``git@host:path``),
    or None when `url` is not one."""
    text = url.strip()
    for prefix in ("git+", "scm:git:", "scm:"):
        text = text.removeprefix(prefix)
    scp = _SCP_LIKE.match(text) if "://" not in text else None
    if scp is not None:
        host, path = scp.group("host"), scp.group("path")
    else:
        parts = urlsplit(text)
        if parts.scheme not in {"http", "https", "git", "ssh"} or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    host = host.lower().removeprefix("www.")
    segments = [s for s in path.lower().split("/") if s]
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    if host in _TWO_SEGMENT_FORGES:
        segments = segments[:2]
    if "-" in segments and host in FORGE_HOSTS:  # GitLab's /-/tree/... pages
        segments = segments[: segments.index("-")]
    segments = [s for s in segments if s]
    if not segments or "." not in host:
        return None
    return "/".join([host, *segments])[:MAX_KEY_LENGTH]


def forge_repository_key(url: str) -> str | None:
    """`repository_key` for an address on a known forge only (a home page elsewhere
    is not a repository)."""
    key = repository_key(url)
    if key is None or key.split("/", 1)[0] not in FORGE_HOSTS:
        return None
    return key


def purl_repository_key(text: str) -> str | None:
    """The repository a package URL names, if any: a forge purl
    (``pkg:github/owner/name``), a Go module on a forge, or a ``vcs_url`` qualifier."""
    try:
        purl = _purl(text)
    except IdentifierError:
        return None
    kind = purl.type.lower()
    if kind in _FORGE_PURL_TYPES and purl.namespace:
        return repository_key(f"https://{_FORGE_PURL_TYPES[kind]}/{purl.namespace}/{purl.name}")
    if kind == "golang" and purl.namespace:
        return forge_repository_key(f"https://{purl.namespace}/{purl.name}")
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    vcs_url = qualifiers.get("vcs_url") or qualifiers.get("repository_url")
    return repository_key(str(vcs_url)) if vcs_url else None
