"""Choosing the requests before the breaks stage (solver/breaks/choice.py)."""

from __future__ import annotations

from solver_kit import make, req
from test_solver_bounds import brute_force_weight_then_breaks

from solver import Status, solve, validate
from solver.breaks.choice import choose
from solver.model import add_breaks, build, evaluate, fix_objective, hint_values
from solver.prep import prepare


def _two_sets():
    """Slots 0-2; only S1 can meet in slot 1, so one delegation at most is busy there. SX is
    free in slot 2 only: D1 or D2 meets it, not both (weight 4 either way). D2 also meets SY
    in slot 0. If D1 meets SX, both delegations have 2 meetings, and a run of 2 covers
    slot 1: one of them breaks. If D2 does, D2 runs 0-2 and D1 meets S1 once: no break."""
    return make(
        [
            req("d1s1", "D1", "S1"),
            req("d1sx", "D1", "SX"),
            req("d2s1", "D2", "S1"),
            req("d2sx", "D2", "SX"),
            req("d2sy", "D2", "SY"),
        ],
        slots=[3],
        rooms=2,
        unavailable={"SX": [0, 1], "SY": [1, 2]},
        stages=["weight", "breaks"],
        time_limit_s=5.0,
    )


def _breaks_stage_model():
    """The model of _two_sets as its breaks stage sees it (weight 4 fixed), request ids."""
    inst = _two_sets()
    b = build(prepare(inst), inst.options, ["weight", "breaks"])
    fix_objective(b, "weight", 4)
    add_breaks(b)
    return inst, b, [r.id for r in inst.requests]


def test_choose_finds_the_set_that_forces_no_break():
    inst, b, ids = _breaks_stage_model()
    # the incumbent: D1 meets SX (slot 2) and S1 (slot 1), D2 meets SY (0) and S1 (2)
    placed = {(ids.index("d1s1"), 1): None, (ids.index("d1sx"), 2): None}
    placed |= {(ids.index("d2sy"), 0): None, (ids.index("d2s1"), 2): None}
    values = hint_values(b, placed)
    breaks = b.objectives["breaks"][0]
    assert evaluate(breaks, values) == 1

    picked = choose(b, values, 5.0, inst.options)

    assert picked is not None and picked.bound == 0
    assert picked.chosen is not None and picked.values is not None
    assert {ids[r] for r, v in enumerate(picked.chosen) if v} == {"d1s1", "d2s1", "d2sx", "d2sy"}
    scheduled = {ids[r] for r, x in enumerate(b.sched) if picked.values[x.index]}
    assert scheduled == {"d1s1", "d2s1", "d2sx", "d2sy"}


def test_choose_keeps_a_set_that_forces_nothing_more():
    inst, b, ids = _breaks_stage_model()
    placed = {(ids.index("d1s1"), 0): None, (ids.index("d2s1"), 1): None}
    placed |= {(ids.index("d2sx"), 2): None, (ids.index("d2sy"), 0): None}
    values = hint_values(b, placed)
    picked = choose(b, values, 5.0, inst.options)
    assert picked is not None and picked.bound == 0
    assert picked.values == values  # the incumbent's set is searched alone, as it is
    assert picked.chosen == [1, 0, 1, 1, 1]


def test_breaks_stage_with_the_choice_keeps_the_brute_force_optimum():
    inst = _two_sets()
    assert brute_force_weight_then_breaks(inst) == (4, 0)
    sol = solve(inst)
    assert validate(inst, sol).ok
    assert sol.status == Status.OPTIMAL and (sol.scheduled_weight, sol.breaks) == (4, 0)
