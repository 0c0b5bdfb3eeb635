"""Re-planning: the weight and changes stages solved together, and the repair of a re-plan's
starting schedule before them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .cpsat import solve_once
from .flow import weight_bound
from .model import Built, complete_values, evaluate, fix_around, set_hint
from .models import Options

REPAIR_SHARE = 0.2  # of a re-plan's time limit, at most, for place_missing
FORCED_NEW_MAX = 20  # new requests looked at by forced_new, each a flow solve


def closest_goal(b: Built, stage: str = "weight") -> tuple[cp_model.LinearExprT, int]:
    """A re-plan's `stage` (weight, or keep) and changes stages as one objective:
    stage * per - changes, maximised, with `per` above any number of changes, so that its
    optimum is the best schedule for `stage` and, among those, the closest to the earlier
    plan. Solved as the weight stage alone, CP-SAT ends on any heaviest schedule, and when
    the hint (the greedy re-plan) misses a mandatory meeting, that can be one far from the
    plan. Stage values are CP-SAT's divided by `per`, rounded up."""
    per = len(b.inst.requests) + 1  # each request adds at most one change
    return per * b.objectives[stage][0] - b.objectives["changes"][0], per


@dataclass
class Repair:
    """A re-plan's start after `repair_start`: the hint, the schedule known to keep every
    rule (or None), the weight when proven, and the seconds spent per stage."""

    hint: list[int] | None
    best: list[int] | None
    weight: int | None = None
    spent: dict[str, float] = field(default_factory=dict)


def repair_start(
    b: Built, hint: list[int], best: list[int] | None, seconds: float, options: Options
) -> Repair:
    """Repair a re-plan's starting schedule. The hint keeps the earlier plan where it still
    fits; when it reaches the flow's bound on the weight (pair meetings), the weight stage
    needs no CP-SAT. Short of it, or without a mandatory request, the requests it leaves
    out (the mandatory ones, without a bound) are placed first by moving only the meetings
    of their parties (`place_missing`), within `seconds`."""
    out = Repair(hint, best)
    weight = b.objectives["weight"][0]
    top = weight_bound(b.prep)
    short = top is not None and (best is None or evaluate(weight, best) < top)
    if short or best is None:
        start = time.perf_counter()
        placed = place_missing(b, hint, seconds, options, all_missing=short)
        out.spent["weight"] = time.perf_counter() - start
        if placed is not None:
            out.hint = out.best = placed
    if top is not None and out.best is not None and evaluate(weight, out.best) >= top:
        out.weight = top
    return out


def place_missing(
    b: Built, values: list[int], seconds: float, options: Options, all_missing: bool
) -> list[int] | None:
    """A re-plan's hint (the greedy re-plan) with the requests it leaves out (all, or only
    the mandatory ones) placed by CP-SAT where it can, moving only the meetings of their
    parties, every other meeting where the hint has it: the heaviest such schedule, then
    the closest to the earlier plan; None when it finds none. The whole weight stage, from
    the same hint, can end on a schedule far from the plan (a mayor leaving early moves
    hundreds of meetings where a handful suffice)."""
    missing = [
        r
        for r, x in enumerate(b.sched)
        if x is not None and not values[x.index] and (all_missing or b.inst.requests[r].mandatory)
    ]
    if not missing:
        return None
    sub = b.model.clone()
    fix_around(sub, b, values, missing)
    goal, _ = closest_goal(b) if "changes" in b.objectives else b.objectives["weight"]
    sub.maximize(goal)
    set_hint(sub, values)
    out = solve_once(sub, options, seconds)
    return None if out.values is None else complete_values(b, out.values)


def forced_new(b: Built, values: list[int], weight: int | None) -> int:
    """Of the requests scheduled in `values` that the earlier plan did not hold (each one a
    change), how many every schedule of weight `weight` or more holds: the mandatory ones
    and, with pair meetings, those without which the flow's weight bound falls below
    `weight` (a re-plan's changes stage, the weight fixed: a request added at weight 10
    must be placed)."""
    if b.options.keeps_previous:
        return 0  # new requests are no change (objectives.changes_objective)
    old = {a.request for a in b.options.previous or []}
    new = [  # (least_value counts a request whose domain holds it already)
        r
        for r, x in enumerate(b.sched)
        if x is not None
        and values[x.index]
        and b.inst.requests[r].id not in old
        and b.model.proto.variables[x.index].domain[0] == 0
    ]
    forced = sum(1 for r in new if b.inst.requests[r].mandatory)
    if weight is None or len(new) > FORCED_NEW_MAX:
        return forced
    for r in new:
        if not b.inst.requests[r].mandatory:
            top = weight_bound(b.prep, without=r)
            forced += top is not None and top < weight
    return forced
