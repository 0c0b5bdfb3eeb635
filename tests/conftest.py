"""Shared pytest configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests under tests/solver and tests/bench are pure: mark them so the PostgreSQL pass skips them."""
    for item in items:
        parts = Path(str(item.fspath)).resolve().relative_to(ROOT).parts
        if parts and parts[0] in {"solver", "bench"}:
            item.add_marker(pytest.mark.solver)
