"""The product solver (CP-SAT), greedy and the validator on the public benchmark; the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.b2b import b2b_options, check_b2b, parse_b2b, slots_from_solution, to_instance
from bench.cli import bench_app
from bench.metrics import total_breaks
from solver import greedy, solve, validate
from solver.breaks.maxsat import Search
from solver.breaks.relax import restricted_breaks_bound
from solver.model import add_breaks, build
from solver.models import ProgressEvent, Status
from solver.prep import prepare


def test_cpsat_finds_the_tic12_optimum(tic12: Path) -> None:
    b = parse_b2b(tic12)
    inst = to_instance(b, b2b_options(time_limit_s=8.0, workers=2))
    events: list[ProgressEvent] = []
    sol = solve(inst, progress=events.append)
    assert sol.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert len(sol.assignments) == b.n_meetings
    report = validate(inst, sol)
    assert report.ok, report.violations
    native = check_b2b(b, slots_from_solution(sol))
    assert native.ok, native.violations
    assert sol.breaks == report.breaks_total == native.breaks == total_breaks(inst, sol.assignments)
    assert sol.breaks == 0  # the known optimum
    assert any(e.stage == "breaks" for e in events)


def test_greedy_output_is_valid_even_when_incomplete(tic12: Path) -> None:
    b = parse_b2b(tic12)
    inst = to_instance(b)
    sol = greedy(inst)
    assert validate(inst, sol).ok or sol.status == Status.INFEASIBLE
    native = check_b2b(b, slots_from_solution(sol))
    # whatever it placed respects tables, sessions and participants
    assert not [v for v in native.violations if "unscheduled" not in v and "fairness" not in v]


def test_cli_b2b_writes_one_based_solutions(tic12: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        bench_app,
        [
            "b2b",
            str(tic12.parent),
            "--only",
            "tic-12",
            "--time-limit",
            "3",
            "--no-highs",
            "--solutions-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "| tic-12 | 0 |" in result.output and "os.cpu_count()" in result.output
    assert (tmp_path / "tic-12.json").exists() and (tmp_path / "greedy" / "tic-12.json").exists()


def test_tic13crafc_breaks_bound_reaches_its_known_optimum(b2b_dir: Path) -> None:
    """19 tables for 180 meetings in 10 slots: too many parties need the middle slots to meet
    in one run. The crowded-interval cuts and the busy-pattern relaxation prove 4 breaks,
    the published optimum, where the plain model's bound stays at 0."""
    b = parse_b2b(b2b_dir / "tic-13crafc.original.dzn")
    inst = to_instance(b, b2b_options(time_limit_s=10.0, workers=2))
    built = build(prepare(inst), inst.options, ["breaks"])
    add_breaks(built)
    assert any(c.name.startswith("crowded") for c in built.model.proto.constraints)
    assert restricted_breaks_bound(built, 10.0) == 4


@pytest.fixture(scope="module")
def forum13crafc(b2b_dir: Path):
    """forum-13crafc (optimum 1): the file and its breaks stage as the solver builds it."""
    b = parse_b2b(b2b_dir / "forum-13crafc.original.dzn")
    inst = to_instance(b, b2b_options(time_limit_s=10.0, workers=2))
    built = build(prepare(inst), inst.options, ["breaks"])
    add_breaks(built)
    return b, built


def test_maxsat_proves_the_forum13crafc_optimum(forum13crafc) -> None:
    """Optimum 1, which CP-SAT's search had not proven in 60 s (its bound stayed 0 within
    10 s): the MaxSAT search proves it alone in about 2 s, schedule included."""
    b, built = forum13crafc
    search = Search(built, built.options.break_fairness, 30.0)
    placed = search.run()
    assert placed is not None and search.bound == 1
    native = check_b2b(b, {r + 1: s + 1 for r, s in placed.items()})
    assert native.ok, native.violations
    assert native.breaks == 1


def test_an_interrupted_maxsat_search_never_claims_more_than_the_optimum(forum13crafc) -> None:
    """Interrupted at any moment (building the formula, sending it, within a SAT call), the
    bound it reports is one that was proven: never above forum-13crafc's optimum 1."""
    import threading

    b, built = forum13crafc
    for delay in (0.3, 0.45, 0.6, 0.75, 0.9):
        search = Search(built, built.options.break_fairness, 30.0)
        timer = threading.Timer(delay, search.interrupt)
        timer.start()
        placed = search.run()
        timer.cancel()
        assert search.bound <= 1
        assert placed is None or check_b2b(b, {r + 1: s + 1 for r, s in placed.items()}).breaks == 1


@pytest.fixture(scope="module")
def forum14(b2b_dir: Path):
    """forum-14 (optimum 2; its schedule takes CaDiCaL 5-10 s alone): its breaks stage."""
    inst = to_instance(parse_b2b(b2b_dir / "forum-14.original.dzn"), b2b_options(10.0))
    built = build(prepare(inst), inst.options, ["breaks"])
    add_breaks(built)
    return built


def test_an_interrupt_ends_the_maxsat_child_at_once(forum14) -> None:
    """`run` returns only once its child process is reaped: promptly after `interrupt`,
    though the search itself needs seconds more."""
    import threading

    search = Search(forum14, forum14.options.break_fairness, 60.0)
    timer = threading.Timer(2.5, search.interrupt)
    timer.start()
    placed = search.run()
    timer.cancel()
    assert placed is None
    assert search.bound <= 2


def test_the_maxsat_child_ends_itself_at_its_cpu_limit(forum14) -> None:
    """Should the parent never stop it, the child stops at its CPU limit (1 s asked, 2 s
    with the rounding up): no schedule (forum-14's took it 4.5 s at the fastest), and the
    totals it refuted before that (0 and 1 take it about 0.2 s) stay."""

    search = Search(forum14, forum14.options.break_fairness, 1.0)
    placed = search.run()
    assert placed is None
    assert search.bound == 2
