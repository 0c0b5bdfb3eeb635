"""GORE's breaks bound: which requests the weight and fairness stages leave out decides how
crowded the hours around lunch are, and the crowded-interval cuts see it."""

from __future__ import annotations

from ortools.sat.python import cp_model

from bench.generators import gore
from solver import solve
from solver.model import add_breaks, build
from solver.prep import prepare


def test_gore_seed0_needs_two_breaks_whichever_requests_are_left_out() -> None:
    """Seed 0: 17 delegations with 13 meetings or more would each cover slots 11 and 12
    (12:40 and 14:00) in one run, and 19 sectors seat at most 38 of them there. The weight
    and fairness optima leave out 17 light requests; at best 11 delegations keep 12
    meetings, so two of them must break. "Breaks <= 1" is refuted in about a second (it
    was undecided after 300 s when the cuts counted mandatory meetings only)."""
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
