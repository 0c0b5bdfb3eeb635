"""Shared pytest configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests: derandomized (the same examples on every run, no database of earlier
# failures) unless ARTICULA_HYPOTHESIS_PROFILE=explore asks for fresh random examples.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("ARTICULA_HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent
PURE_DIRS = {"solver", "bench", "agendas"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests in PURE_DIRS never touch the database: mark them `nodb` so the PostgreSQL pass
    (`make test-postgres`) does not run them a second time."""
    for item in items:
        parts = Path(str(item.fspath)).resolve().relative_to(ROOT).parts
        if parts and parts[0] in PURE_DIRS:
            item.add_marker(pytest.mark.nodb)
