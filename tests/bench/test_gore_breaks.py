"""GORE's breaks bound: which requests the weight and fairness stages leave out decides how
crowded the hours around lunch are, and the crowded-interval cuts see it."""

from __future__ import annotations

from ortools.sat.python import cp_model

from bench.generators import gore
from solver import solve
from solver.model import add_breaks, build
from solver.prep import prepare


def test_gore_seed0_needs_two_breaks_whichever_requests_are_left_out() -> None:
    """Seed 0: a delegation with 13 meetings or more in one run covers both slots 11 and 12
    (12:40 and 14:00), one with 12 at least one of them, and 19 ministries seat at most 38
    delegations there. The weight and fairness optima leave out 17 light requests, which
    keep at best 11 of the 26 delegations at 12 meetings: 15 x 2 + 11 = 41 > 38, and a
    break frees at most 2, so two delegations must break. "Breaks <= 1" is refuted in about
    a second; with the cuts on mandatory meetings only it was not within 20 s (and "breaks
    <= 2" was undecided after 300 s)."""
    inst = gore(0)
    first = solve(inst, inst.options.model_copy(update={"stages": ["weight", "fairness"]}))
    weight, fairness = (stage.objective for stage in first.stages)
    b = build(prepare(inst), inst.options, ["weight", "fairness", "breaks"])
    b.model.add(b.objectives["weight"][0] == round(weight))
    b.model.add(b.objectives["fairness"][0] >= round(fairness))
    add_breaks(b)
    at_most_one = b.model.clone()
    at_most_one.add(b.objectives["breaks"][0] <= 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 20.0
    assert solver.solve(at_most_one) == cp_model.INFEASIBLE
