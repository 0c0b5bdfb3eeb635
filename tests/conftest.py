"""Shared pytest configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
PURE_DIRS = {"solver", "bench", "agendas"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests in PURE_DIRS never touch the database: mark them `nodb` so the PostgreSQL pass
    (`make test-postgres`) does not run them a second time."""
    for item in items:
        parts = Path(str(item.fspath)).resolve().relative_to(ROOT).parts
        if parts and parts[0] in PURE_DIRS:
            item.add_marker(pytest.mark.nodb)
