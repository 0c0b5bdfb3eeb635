"""Greedy baseline, the CLI end to end, and the committed JSON schemas."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from solver_kit import make, req, where
from typer.testing import CliRunner

from solver import Solution, Status, greedy, validate
from solver.cli import register
from solver.schema import SCHEMAS, render

ROOT = Path(__file__).resolve().parents[2]


def test_greedy_orders_mandatory_then_weight():
    reqs = [
        req("w1", "A", "B", weight=1),
        req("w9", "A", "C", weight=9),
        req("m", "A", "D", weight=0, mandatory=True),
    ]
    sol = greedy(make(reqs, slots=[2], rooms=2))
    assert sol.solver == "greedy" and sol.status == Status.FEASIBLE
    assert where(sol) == {"m": (0, "R0"), "w9": (1, "R0")}
    assert sol.scheduled_weight == 9
    assert {u.request: u.code for u in sol.unscheduled} == {"w1": "party_capacity"}
    assert validate(make(reqs, slots=[2], rooms=2), sol).ok


def test_greedy_missing_mandatory_is_infeasible():
    # greedy puts "a" at slot 0, then "b" (allowed only at 0, as "a" could move) cannot fit
    reqs = [
        req("a", "A", "B", mandatory=True, weight=5),
        req("b", "A", "C", mandatory=True, allowed_slots=[0]),
    ]
    inst = make(reqs, slots=[2])
    sol = greedy(inst)
    assert sol.status == Status.INFEASIBLE and list(where(sol)) == ["a"]
    assert validate(inst, sol).ok


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_cli_solve_and_validate(tmp_path: Path):
    inst = make([req("a", "A", "B", weight=2), req("b", "A", "C")], slots=[2])
    path = tmp_path / "instance.json"
    path.write_text(inst.model_dump_json(), encoding="utf-8")
    out = tmp_path / "solution.json"
    runner = CliRunner()
    result = runner.invoke(
        _app(),
        [
            "solve",
            str(path),
            "--time-limit",
            "5",
            "--workers",
            "1",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "OPTIMAL" in result.output and "scheduled 2, unscheduled 0" in result.output
    assert "weight" in result.output and "breaks" in result.output
    sol = Solution.model_validate_json(out.read_text())
    assert sol.scheduled_weight == 3

    result = runner.invoke(_app(), ["validate", str(path), str(out)])
    assert result.exit_code == 0 and result.output.startswith("ok")

    bad = sol.model_copy(
        update={"assignments": [a.model_copy(update={"slot": 0}) for a in sol.assignments]}
    )
    out.write_text(bad.model_dump_json(), encoding="utf-8")
    result = runner.invoke(_app(), ["validate", str(path), str(out)])
    assert result.exit_code == 1
    assert "VIOLATION: party A in" in result.output


def test_cli_greedy(tmp_path: Path):
    path = tmp_path / "instance.json"
    path.write_text(make([req("a", "A", "B")]).model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(_app(), ["solve", str(path), "--greedy"])
    assert result.exit_code == 0 and "greedy" in result.output


def test_committed_schemas_are_current():
    for name, model in SCHEMAS.items():
        committed = (ROOT / "docs" / "schema" / name).read_text(encoding="utf-8")
        assert json.loads(committed) == json.loads(render(model)), (
            f"docs/schema/{name} is stale: run python -m solver.schema docs/schema"
        )
