"""GORE's breaks bound: which requests the weight and fairness stages leave out decides how
crowded the hours around lunch are, and the crowded-interval cuts see it."""

from __future__ import annotations

import pytest
from ortools.sat.python import cp_model

from bench.generators import gore
from solver import Status, solve
from solver.breaks.scope import Scope
from solver.breaks.targets import target_search
from solver.cpsat import Outcome, solve_once
from solver.model import Built, add_breaks, build, evaluate, fix_objective
from solver.prep import prepare


@pytest.fixture(scope="module")
def seed0_breaks_stage() -> Built:
    """GORE seed 0's model as its breaks stage sees it: weight and fairness at their optima."""
    inst = gore(0)
    first = solve(inst, inst.options.model_copy(update={"stages": ["weight", "fairness"]}))
    weight, fairness = (stage.objective for stage in first.stages)
    b = build(prepare(inst), inst.options, ["weight", "fairness", "breaks"])
    fix_objective(b, "weight", round(weight), exact=True)
    fix_objective(b, "fairness", round(fairness))
    add_breaks(b)
    return b


def test_gore_seed0_needs_two_breaks_whichever_requests_are_left_out(
    seed0_breaks_stage: Built,
) -> None:
    """Seed 0: a delegation with 13 meetings or more in one run covers both slots 11 and 12
    (12:40 and 14:00), one with 12 at least one of them, and 19 ministries seat at most 38
    delegations there. The weight and fairness optima leave out 17 light requests, which
    keep at best 11 of the 26 delegations at 12 meetings: 15 x 2 + 11 = 41 > 38, and a
    break frees at most 2, so two delegations must break. "Breaks <= 1" is refuted in about
    a second; with the cuts on mandatory meetings only it was not within 20 s (and "breaks
    <= 2" was undecided after 300 s)."""
    b = seed0_breaks_stage
    at_most_one = b.model.clone()
    at_most_one.add(b.objectives["breaks"][0] <= 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 20.0
    assert solver.solve(at_most_one) == cp_model.INFEASIBLE


def test_the_breaks_search_starts_from_a_bound_known_beforehand(seed0_breaks_stage: Built) -> None:
    """The breaks stage's search of a chosen set starts at the choice's bound (2 on seed 0,
    the test above): with no time to search, that bound is what it reports, where CP-SAT's
    own first run knows only 0."""
    b = seed0_breaks_stage
    expr = b.objectives["breaks"][0]
    m = b.model.clone()
    m.minimize(expr)
    first = solve_once(m, b.options, 10.0, None, stop_after_first=True)
    assert first.values is not None and evaluate(expr, first.values) > 2

    def search(lower: int) -> Outcome:
        return target_search(Scope(b, m), 0.05, first.values, lower)

    known = search(2)
    assert (known.status, known.bound) == (Status.FEASIBLE, 2)
    assert search(0).bound == 0
