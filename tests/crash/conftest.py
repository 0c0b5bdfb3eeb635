"""The kill tests start real server processes and SIGKILL them; they run only when asked
for (`pytest -m crash`, as `.ci/run` does), on SQLite and, with ARTICULA_TEST_POSTGRES_URL,
on PostgreSQL."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "crash" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="kill tests (real processes, minutes): run `pytest -m crash`")
    for item in items:
        if "crash" in item.keywords:
            item.add_marker(skip)
