"""`python -m bench pages` runs end to end on the GORE part and lists every page it timed."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bench.cli import bench_app
from bench.pages import gore_pages

# The benchmark builds its own SQLite file: nothing to repeat in the PostgreSQL pass.
pytestmark = pytest.mark.nodb


def test_pages_benchmark_lists_every_gore_page() -> None:
    result = CliRunner().invoke(
        bench_app, ["pages", "--repeat", "1", "--no-muni", "--time-limit", "2"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "## Web pages: server time" in out
    assert "- load average at start" in out
    ids = {"edition": 1, "run": 0, "greedy": 0, "request": 0}
    assert "| login | `/` |" in out
    for name, _ in gore_pages(ids):
        assert f"| {name} | `" in out, name
    assert "| schedule grid, compared | `/editions/1/schedule?run=" in out
    assert "MUNI" not in out
    assert "pages within their target (p95)." in out
