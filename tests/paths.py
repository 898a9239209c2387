"""Where the tests find their data: real files published by others, inside the repository.

`tests/data/` holds them byte for byte, each folder with a SOURCES.md naming origin and licence,
so that a fresh clone runs the whole suite with nothing beside it.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
