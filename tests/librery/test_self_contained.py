"""The repository is self-contained: no Python file reaches for a path outside it.

A fresh clone, with nothing beside it, must run the whole suite. So no source file may read
the sibling `shared` data folder of the development machines, nor climb above the repository
with one `parents[N]` too many: every `Path(__file__)` expression that can be worked out
statically must land inside the repository, and no other string literal may be a path that
starts with `..` or goes through that data folder.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.paths import DATA

pytestmark = [pytest.mark.unit]

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
    }
)
# A relative path climbing up, or the sibling test-data folder of the development machines.
OUTSIDE_LITERAL = re.compile(r"^\.\.(?:[/\\]|$)|(?:^|[/\\])shared[/\\]data(?:[/\\]|$)")
PATH_CLASSES = frozenset({"Path", "PurePath", "PosixPath", "WindowsPath"})


def python_files(root: Path) -> Iterator[Path]:
    """The repository's Python files, without the venv, caches and the runtime folder var/."""
    for directory, subdirectories, files in os.walk(root):
        at_root = Path(directory) == root
        subdirectories[:] = sorted(
            d for d in subdirectories if d not in SKIPPED_DIRS and not (at_root and d == "var")
        )
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(directory) / name


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _Evaluator:
    """Works out, where it can, which path an expression built from `__file__` denotes."""

    def __init__(self, here: Path, root: Path) -> None:
        self.here, self.root = here, root
        self.names: dict[str, Path] = {}

    def path(self, node: ast.expr) -> Path | None:  # noqa: C901, PLR0911
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return self.here
            if node.id in self.names:
                return self.names[node.id]
            return self.root if node.id == "BASE_DIR" else None
        if isinstance(node, ast.Attribute):
            if node.attr == "BASE_DIR":  # settings.BASE_DIR, the repository root
                return self.root
            if node.attr == "parent" and (base := self.path(node.value)) is not None:
                return base.parent
            return None
        if isinstance(node, ast.Subscript):
            # x.parents[N]; an index past the filesystem's root is an escape too.
            if (
                isinstance(node.value, ast.Attribute)
                and node.value.attr == "parents"
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, int)
                and (base := self.path(node.value.value)) is not None
            ):
                parents = _normal(base).parents
                index = node.slice.value
                return parents[index] if 0 <= index < len(parents) else Path(base.anchor)
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            base = self.path(node.left)
            if base is None:
                return None
            if isinstance(node.right, ast.Constant) and isinstance(node.right.value, str):
                return base / node.right.value
            return self.path(node.right) if isinstance(node.right, ast.Name) else None
        if isinstance(node, ast.Call):
            return self._call(node)
        return None

    def _call(self, node: ast.Call) -> Path | None:  # noqa: PLR0911
        name = _name(node.func)
        args = node.args
        if name in PATH_CLASSES and len(args) == 1:
            return self.path(args[0])
        if name in {"resolve", "absolute", "expanduser"} and isinstance(node.func, ast.Attribute):
            return self.path(node.func.value)
        if name in {"abspath", "realpath", "normpath"} and len(args) == 1:
            return self.path(args[0])
        if name == "dirname" and len(args) == 1:
            base = self.path(args[0])
            return None if base is None else base.parent
        if name == "joinpath" and isinstance(node.func, ast.Attribute):
            return self._join(self.path(node.func.value), args)
        if name == "join" and args:  # os.path.join
            return self._join(self.path(args[0]), args[1:])
        return None

    @staticmethod
    def _join(base: Path | None, parts: list[ast.expr]) -> Path | None:
        for part in parts:
            if base is None or not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                return None
            base /= part.value
        return base

    def bind(self, tree: ast.Module) -> None:
        assignments = [n for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AnnAssign)]
        for assignment in sorted(assignments, key=lambda n: (n.lineno, n.col_offset)):
            if assignment.value is None:
                continue
            value = self.path(assignment.value)
            targets = (
                assignment.targets if isinstance(assignment, ast.Assign) else [assignment.target]
            )
            for target in targets:
                if isinstance(target, ast.Name) and value is not None:
                    self.names[target.id] = value


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(path))


def escapes(source: str, path: Path, root: Path) -> list[str]:
    """What in `source`, the text of the file at `path`, points outside `root`."""
    tree = ast.parse(source, filename=str(path))
    where = path.relative_to(root) if path.is_relative_to(root) else path
    evaluator = _Evaluator(path, root)
    evaluator.bind(tree)
    problems: list[str] = []
    covered: set[int] = set()
    for node in ast.walk(tree):
        if id(node) in covered or not isinstance(node, ast.expr):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if OUTSIDE_LITERAL.search(node.value):
                problems.append(f"{where}:{node.lineno}: {node.value!r} names a path outside")
            continue
        if isinstance(node, ast.Name):
            continue  # a bound name is judged where it is assigned
        target = evaluator.path(node)
        if target is None:
            continue
        # A path worked out in full: judged by where it lands, not by its parts ("..").
        covered.update(id(child) for child in ast.walk(node))
        if not _normal(target).is_relative_to(root):
            problems.append(
                f"{where}:{node.lineno}: {ast.unparse(node)} is {_normal(target)}, outside {root}"
            )
    return problems


def repository_escapes(root: Path) -> list[str]:
    return [
        problem
        for path in python_files(root)
        for problem in escapes(path.read_text(encoding="utf-8"), path, root)
    ]


def test_no_python_file_reaches_outside_the_repository() -> None:
    checked = list(python_files(ROOT))
    assert Path(__file__).resolve() in checked
    assert ROOT / "librery" / "settings" / "base.py" in checked
    assert not any(part in SKIPPED_DIRS for p in checked for part in p.relative_to(ROOT).parts)
    assert not any(p.relative_to(ROOT).parts[0] == "var" for p in checked)
    assert repository_escapes(ROOT) == []


def test_base_dir_is_the_repository_root() -> None:
    """The check takes `BASE_DIR` for the repository root; it must stay so."""
    assert Path(settings.BASE_DIR).resolve() == ROOT


def test_tests_read_their_data_from_inside_the_repository() -> None:
    assert DATA.is_relative_to(ROOT)
    for folder in ("sepa", "funding-json", "sill"):
        assert (DATA / folder / "SOURCES.md").is_file(), folder


HERE = Path("/repo/tests/funds/test_x.py")
# The examples write "/" as "|" inside string literals, so that this file passes its own check.


@pytest.mark.parametrize(
    "source",
    [
        'SEPA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sepa"',
        'SILL = Path(__file__).resolve().parents[3] / "shared" / "data" / "sill"',
        "UP = pathlib.Path(__file__).parent.parent.parent.parent",
        "FAR = Path(__file__).resolve().parents[40]",
        'ROOT = Path(__file__).resolve().parents[2]\nOTHER = ROOT.parent / "sibling"',
        'X = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "z")',
        'X = Path(__file__).parent.joinpath("..", "..", "..", "z")',
        "X = settings.BASE_DIR.parent",
        'CSV = "..|shared|data|sill|sill-2020.csv"',
        'CSV = Path("shared|data|sill|sill-2020.csv")',
        'X = open("..|elsewhere.txt")',
        'X = open(".." + "|elsewhere.txt")',
    ],
)
def test_the_check_finds_escapes(source: str) -> None:
    found = escapes(source.replace("|", "/"), HERE, Path("/repo"))
    assert len(found) == 1, found


@pytest.mark.parametrize(
    "source",
    [
        'DATA = Path(__file__).resolve().parent / "data"',
        "ROOT = Path(__file__).resolve().parents[2]",
        "BASE_DIR = Path(__file__).resolve().parent.parent.parent",
        'X = os.path.join(os.path.dirname(__file__), "..", "data")',
        'X = settings.BASE_DIR / "var"',
        'X = Path(__file__).parents[1].joinpath("..", "docs")',
        'NAME = "shared"\nPROSE = "data shared between threads"\nDOTS = "..."',
        'SELECTOR = "xpath=..|.."',
    ],
)
def test_the_check_accepts_paths_inside(source: str) -> None:
    assert escapes(source.replace("|", "/"), HERE, Path("/repo")) == []


def test_the_walk_finds_a_bad_file_and_skips_the_venv(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for folder in ("tests/funds", ".venv/lib", "var"):
        (root / folder).mkdir(parents=True)
    bad = 'SEPA = Path(__file__).resolve().parents[2].parent / "shared" / "data"\n'
    (root / "tests" / "funds" / "test_good.py").write_text('X = Path(__file__).parent / "d"\n')
    (root / "tests" / "funds" / "test_bad.py").write_text(bad)
    (root / ".venv" / "lib" / "site.py").write_text(bad)
    (root / "var" / "scratch.py").write_text(bad)
    (problem,) = repository_escapes(root)
    assert problem.startswith("tests/funds/test_bad.py:1: ")
    assert problem.endswith(f"is {tmp_path}/shared/data, outside {root}")
