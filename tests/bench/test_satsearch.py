"""`python -m bench b2b-sat`: the breaks stage's MaxSAT search alone, per B2B instance."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bench.b2b import parse_b2b
from bench.cli import bench_app
from bench.satsearch import search_alone


def test_each_total_below_the_optimum_is_refuted_in_order(b2b_dir: Path) -> None:
    """forumt-14 (optimum 5): 0 to 4 refuted, in that order, then a schedule with 5 that the
    re-check against the .dzn file counts the same."""
    row = search_alone(parse_b2b(b2b_dir / "forumt-14.original.dzn"), 30.0)
    assert [k for k, _ in row.refuted_at] == [0, 1, 2, 3, 4]
    times = [s for _, s in row.refuted_at]
    assert times == sorted(times) and row.seconds is not None and times[-1] <= row.seconds
    assert row.breaks == 5 and row.problems == []


def test_the_search_stops_at_its_time_limit(b2b_dir: Path) -> None:
    """forum-14 (optimum 2): 0 and 1 are refuted within about a second, its schedule takes
    the search 7.3-10.7 s alone. Stopped at 3 s, it returns at once with what it proved."""
    b = parse_b2b(b2b_dir / "forum-14.original.dzn")
    row = search_alone(b, 3.0)
    assert [k for k, _ in row.refuted_at] == [0, 1][: len(row.refuted_at)]
    assert row.breaks is None and row.seconds is None and row.problems == []


def test_cli_prints_the_refutations_and_the_schedule(b2b_dir: Path) -> None:
    result = CliRunner().invoke(
        bench_app,
        ["b2b-sat", str(b2b_dir), "--only", "tic-12", "--only", "forumt-14", "--time-limit", "30"],
    )
    assert result.exit_code == 0, result.output
    assert "| tic-12 | 0 | - | 0 |" in result.output
    assert "| forumt-14 | 5 | 0 (" in result.output and "| 0.5 | yes |" in result.output
    assert "Optimum found (all below it refuted) on 2/2" in result.output
