"""Apps depend one way (docs/architecture.md): every import in the code is
checked against the layer order, by walking the modules' syntax trees."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A domain module may import its own app and the apps before it.
LAYERS = ("projects", "contributors", "funds", "governance", "allocation", "demo")
# Module or package names that are the interface of an app (pages, API, admin,
# commands, migrations): they may read and call any app's domain modules.
INTERFACE_PARTS = frozenset(
    {"views", "forms", "admin", "urls", "api", "templatetags", "management", "migrations"}
)
# `librery` holds settings, wiring and shared infrastructure (audit log, mail,
# transitions); only its wiring modules and its home page view reach the apps.
LIBRERY_WIRING = frozenset({"librery.urls", "librery.api_router", "librery.views"})
TOP_PACKAGES = frozenset({*LAYERS, "librery"})


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_interface(module: str) -> bool:
    return any(part in INTERFACE_PARTS for part in module.split(".")[1:])


def imported_modules(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """Every module imported anywhere in `tree` (inline imports too), with the line.
    ``from funds import selectors`` counts as ``funds.selectors``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, base] if base else package)
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def problem(importer: str, imported: str) -> str | None:  # noqa: PLR0911 -- one rule a line
    """Why `importer` may not import `imported`, or None when it may."""
    source_app, target_app = importer.split(".")[0], imported.split(".")[0]
    if target_app not in TOP_PACKAGES or source_app == "tests":
        return None
    if target_app == "demo" and source_app != "demo":
        return "nothing imports the demo loader"
    if imported.split(".")[-1] == "views" and importer.split(".")[-1] != "urls":
        return "only URLconfs import views"
    if source_app == "librery":
        if target_app == "librery" or importer in LIBRERY_WIRING:
            return None
        return "librery imports no app (only its URLs, API router and home view do)"
    if target_app == "librery" or is_interface(importer):
        return None
    if is_interface(imported):
        return "a domain module imports an interface module (views, forms, API, admin)"
    if LAYERS.index(target_app) > LAYERS.index(source_app):
        return f"{source_app} is below {target_app} in the layer order"
    return None


def violations(root: Path) -> list[str]:
    found = []
    for package in sorted(TOP_PACKAGES):
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(path, root)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, imported in imported_modules(tree, module):
                reason = problem(module, imported)
                if reason is not None:
                    found.append(f"{path.relative_to(root)}:{line}: imports {imported}: {reason}")
    return sorted(set(found))


def test_the_code_obeys_the_layer_order() -> None:
    assert violations(ROOT) == []


def test_the_documented_order_is_the_checked_one() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert " ← ".join(f"`{app}`" for app in LAYERS) in text


@pytest.mark.parametrize(
    ("importer", "imported", "expected"),
    [
        ("contributors.services", "funds.services", "contributors is below funds"),
        ("projects.selectors", "contributors.models", "projects is below contributors"),
        ("funds.tasks", "allocation.services", "funds is below allocation"),
        ("governance.services", "funds.services", None),
        ("funds.services.pledges", "contributors.services", None),
        ("projects.views", "funds.selectors", None),
        ("contributors.api.views", "governance.permissions", None),
        ("funds.services", "funds.forms", "a domain module imports an interface module"),
        ("funds.selectors", "projects.api.serializers", "a domain module imports an interface"),
        ("governance.services", "contributors.views", "only URLconfs import views"),
        ("contributors.urls", "contributors.views", None),
        ("librery.urls", "funds.stripe.views", None),
        ("librery.services", "projects.models", "librery imports no app"),
        ("librery.views", "projects.selectors", None),
        ("allocation.services", "demo.data", "nothing imports the demo loader"),
        ("demo.data", "allocation.services", None),
        ("projects.services", "librery.services", None),
    ],
)
def test_each_rule(importer: str, imported: str, expected: str | None) -> None:
    reason = problem(importer, imported)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert reason.startswith(expected)


def test_a_backward_import_in_a_tree_is_found(tmp_path: Path) -> None:
    for package in TOP_PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "contributors" / "services.py").write_text(
        "from projects.models import Project\n"
        "def pledge():\n"
        "    from funds.services import payment_request_issue  # noqa: PLC0415\n"
    )
    (tmp_path / "projects" / "selectors.py").write_text("from funds import selectors\n")
    assert violations(tmp_path) == [
        "contributors/services.py:3: imports funds.services.payment_request_issue: "
        "contributors is below funds in the layer order",
        "contributors/services.py:3: imports funds.services: contributors is below funds "
        "in the layer order",
        "projects/selectors.py:1: imports funds.selectors: projects is below funds in the "
        "layer order",
        "projects/selectors.py:1: imports funds: projects is below funds in the layer order",
    ]
