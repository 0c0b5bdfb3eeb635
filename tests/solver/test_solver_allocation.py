"""The weight stage by allocation first (solver/allocation.py): the relaxation bounds the
scheduled weight on instances drawn with every feature, its chosen set is scheduled and
proven where it can be, and the search of the whole model takes over where it cannot."""

from __future__ import annotations

from hypothesis import HealthCheck, given, note, settings
from solver_kit import make, req
from test_solver_features import featured

from solver import Instance, Status, solve, validate
from solver.allocation import allocation_start, applies, relaxation
from solver.cpsat import solve_once
from solver.model import build, evaluate
from solver.models import StageResult
from solver.prep import prepare
from solver.solve import stage_order, tighter_bound


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(featured())
def test_relaxation_bounds_the_weight_optimum(inst: Instance) -> None:
    b = build(prepare(inst), inst.options, stage_order(inst, inst.options))
    if not applies(b) or not all(prepare(inst).starts):
        return
    alloc = relaxation(b, 5.0)
    expr, _ = b.objectives["weight"]
    b.model.maximize(expr)
    out = solve_once(b.model, inst.options, 5.0)
    note(f"relaxation {alloc}, CP-SAT {out.status} {out.values and evaluate(expr, out.values)}")
    if out.status == Status.OPTIMAL:
        assert alloc is not None and alloc.bound >= evaluate(expr, out.values)
    if out.status == Status.INFEASIBLE:  # the mandatory requests cannot all be placed
        return
    if alloc is not None and alloc.chosen is not None:
        _, values = allocation_start(b, 5.0)
        if values is not None:  # a schedule of the chosen set reaches the bound
            assert evaluate(expr, values) == alloc.bound
            assert out.status != Status.OPTIMAL or evaluate(expr, out.values) == alloc.bound


def test_over_asked_ministers_with_a_multisector_meeting() -> None:
    # S1 is free at 2 of 3 slots and asked 3 times; the heaviest two fit, with the joint one
    inst = make(
        [
            req("a", "D1", "S1", weight=5),
            req("b", "D2", "S1", "S2", weight=9),
            req("c", "D3", "S1", weight=1),
            req("d", "D1", "S2", weight=4),
            req("e", "D3", "S2", weight=2),
        ],
        slots=[3],
        rooms=2,
        unavailable={"S1": [0]},
        stages=["weight"],
    )
    sol = solve(inst)
    (weight,) = sol.stages
    assert weight.status == Status.OPTIMAL and weight.objective == weight.bound == 20
    assert {a.request for a in sol.assignments} == {"a", "b", "d", "e"}
    assert validate(inst, sol).ok


def test_a_chosen_set_that_cannot_be_scheduled_leaves_it_to_the_search() -> None:
    # three pairwise meetings in two slots: each party has two meetings for two slots (the
    # relaxation takes all three), but a triangle needs three slots
    inst = make(
        [req("xy", "D1", "S1", weight=3), req("yz", "S1", "S2", weight=2)]
        + [req("xz", "D1", "S2", weight=2)],
        slots=[2],
        rooms=3,
        stages=["weight"],
    )
    b = build(prepare(inst), inst.options, ["weight"])
    alloc, values = allocation_start(b, 5.0)
    assert alloc is not None and alloc.bound == 7 and values is None
    sol = solve(inst)
    (weight,) = sol.stages
    assert weight.status == Status.OPTIMAL and weight.objective == 5
    assert validate(inst, sol).ok


def test_the_relaxation_bound_tightens_a_weight_stage_cut_short() -> None:
    cut = StageResult(name="weight", status=Status.FEASIBLE, objective=7.0, sense="max")
    assert tighter_bound(cut, 9).bound == 9 and tighter_bound(cut, 9).status == Status.FEASIBLE
    reached = tighter_bound(cut, 7)
    assert reached.status == Status.OPTIMAL and reached.gap == 0.0
    own = cut.model_copy(update={"bound": 8.0})
    assert tighter_bound(own, 9) == own
