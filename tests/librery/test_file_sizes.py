"""Files a person can hold in their head: no Python module over 600 lines
(migrations aside, they are generated)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 600
SKIPPED_PARTS = frozenset({".venv", ".git", "var", "migrations", "node_modules"})


def long_modules(root: Path, limit: int = MAX_LINES) -> dict[str, int]:
    found = {}
    for path in root.rglob("*.py"):
        if SKIPPED_PARTS.intersection(path.relative_to(root).parts):
            continue
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > limit:
            found[str(path.relative_to(root))] = count
    return found


def test_no_module_is_over_600_lines() -> None:
    assert long_modules(ROOT) == {}


def test_a_long_module_is_found_and_migrations_are_not(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "services.py").write_text("x = 1\n" * 601)
    (tmp_path / "app" / "selectors.py").write_text("x = 1\n" * 600)
    (tmp_path / "app" / "migrations").mkdir()
    (tmp_path / "app" / "migrations" / "0001_initial.py").write_text("x = 1\n" * 900)
    assert long_modules(tmp_path) == {"app/services.py": 601}
