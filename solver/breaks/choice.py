"""Which requests to schedule, for fewer breaks: the breaks stage's first step.

The weight and fairness stages fix two numbers, not the requests that reach them. In a
GORE edition the light requests of overloaded ministries are left out, and which
delegation loses one decides how many keep a long run of meetings: 13 meetings in a run
cover both slots around lunch, 12 only one, and at most one delegation per ministry meets
in a slot. The local search moves meetings and keeps the set, so the fairness stage's set
can hold the breaks above what another set of the same weight and fairness allows.

:func:`choose` solves a small model: the scheduled Booleans only, the fixed stage values,
each party at most its free slots, and the crowded-interval cuts (solver/model/crowded.py)
with an integer in place of each party's breaks per segment. Its optimum is a proven lower
bound on the breaks stage. When the incumbent's own set forces more, the closest set that
forces the fewest is placed by CP-SAT, moving only the meetings of the parties whose
requests changed. The breaks stage then searches the chosen set alone first (its requests
fixed: a much smaller model, which CP-SAT searches far faster) for a schedule at the bound
(see breaks.stage.solve_breaks).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..features import Feature
from ..model import (
    Built,
    complete_values,
    crowded_intervals,
    fairness_objective,
    fix_around,
    mandatory,
    set_hint,
    weight_objective,
)
from ..models import Options

STAGE_EXPRESSIONS = {"weight": weight_objective, "fairness": fairness_objective}


@dataclass
class Choice:
    bound: int  # proven lower bound on the total breaks of the breaks stage
    # the set to search alone first (1 per scheduled request, by request): one that forces
    # the fewest breaks, the incumbent's when it does; and a schedule of it
    chosen: list[int] | None = None
    values: list[int] | None = None


# The chosen set's schedules come from CP-SAT on the whole model and the bound from a
# relaxation of it; not in a re-plan, whose changes stage counts the requests added or
# dropped.
SUPPORTS = frozenset(
    {
        Feature.LONG_MEETINGS,
        Feature.GROUP_MEETINGS,
        Feature.OPTIONAL_REQUESTS,
        Feature.TIME_WINDOWS,
        Feature.UNAVAILABILITY,
        Feature.PINNED_SLOTS,
        Feature.PINNED_ROOMS,
        Feature.ROOM_CLASSES,
        Feature.EXPLICIT_ROOMS,
        Feature.PRECEDENCE,
        Feature.SECTOR_KEEPS_ROOM,
        Feature.BREAK_FAIRNESS,
    }
)


def applies(b: Built) -> bool:
    """Supported features, optional requests, stages before that fixed their objectives,
    and crowded intervals (without a cut, every set forces nothing)."""
    return (
        b.features <= SUPPORTS
        and bool(b.fixed)
        and b.crowded > 0
        and any(
            x is not None and not req.mandatory
            for x, req in zip(b.sched, b.inst.requests, strict=True)
        )
    )


def choose(b: Built, values: list[int], seconds: float, options: Options) -> Choice | None:
    """The bound, and the set to search alone with a schedule of it: the incumbent's
    (`values`) when no set forces fewer breaks, else the closest one that forces the
    fewest, placed (no set when that placement fails); None when the small model is not
    solved in time."""
    t0 = time.perf_counter()
    sel, broken = _selection(b)
    if not broken:
        return None
    forced = sum(broken.values())
    current = [int(x is not None and values[x.index]) for x in b.sched]

    def solve(objective: cp_model.LinearExprT, fix_current: bool) -> cp_model.CpSolver | None:
        m = sel.model.clone()
        if fix_current:
            for x, v in zip(sel.sched, current, strict=True):
                if x is not None:
                    m.add(x == v)
        m.minimize(objective)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = options.workers
        solver.parameters.random_seed = options.seed
        left = seconds - (time.perf_counter() - t0)
        solver.parameters.max_time_in_seconds = max(0.05, left / 3)
        return solver if solver.solve(m) == cp_model.OPTIMAL else None

    mine = solve(forced, fix_current=True)
    differs = sum(
        (1 - x) if v else x for x, v in zip(sel.sched, current, strict=True) if x is not None
    )
    best = solve((len(current) + 1) * forced + differs, fix_current=False)
    if mine is None or best is None:
        return None
    bound = math.ceil(best.value(forced) - 1e-6)
    if bound >= mine.value(forced):  # no set forces fewer breaks than the incumbent's
        return Choice(bound, current, values)
    chosen = [int(best.value(x)) if x is not None else 0 for x in sel.sched]
    placed = _place(b, values, chosen, seconds - (time.perf_counter() - t0), options)
    if placed is None:  # the incumbent's set cannot reach the bound: no set to search alone
        return Choice(bound)
    return Choice(bound, chosen, placed)


def _place(
    b: Built, values: list[int], chosen: list[int], seconds: float, options: Options
) -> list[int] | None:
    """A schedule of the set `chosen`: CP-SAT moves only the meetings of the parties whose
    requests changed, every other meeting where `values` has it."""
    changed = [
        r
        for r, (x, v) in enumerate(zip(b.sched, chosen, strict=True))
        if x is not None and values[x.index] != v
    ]
    sub = b.model.clone()
    sub.clear_objective()  # any schedule of the set: the search that follows improves it
    fix_requests(sub, b, chosen)
    fix_around(sub, b, values, changed)
    set_hint(sub, values)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    if solver.solve(sub) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return complete_values(b, list(solver.response_proto.solution))


def fix_requests(m: cp_model.CpModel, b: Built, chosen: list[int]) -> None:
    """In `m` (a copy of b's model), schedule exactly the requests `chosen` marks."""
    for x, v in zip(b.sched, chosen, strict=True):
        if x is not None:
            m.add(x == v)


def _selection(b: Built) -> tuple[Built, dict[tuple[str, int], cp_model.IntVar]]:
    """The scheduled Booleans of `b` in a model of their own: mandatory requests, the fixed
    stage objectives, each party at most its free slots, and the crowded-interval cuts with
    an integer per counted party and segment in place of its breaks there."""
    m = cp_model.CpModel()
    sel = Built(model=m, prep=b.prep, options=b.options)
    sel.party_cover, sel.slot_cover = b.party_cover, b.slot_cover  # read only
    sel.party_requests, sel.delegations = b.party_requests, b.delegations
    sel.sched = [
        m.new_bool_var(f"scheduled[{req.id}]") if x is not None else None
        for x, req in zip(b.sched, b.inst.requests, strict=True)
    ]
    mandatory(sel)
    for stage, (value, sense) in b.fixed.items():
        if stage in STAGE_EXPRESSIONS:
            expr, _ = STAGE_EXPRESSIONS[stage](sel)
            m.add(expr >= value if sense == "max" else expr <= value)
    reqs = b.inst.requests
    for p, rs in b.party_requests.items():
        load = [reqs[r].duration * sel.sched[r] for r in rs if sel.sched[r] is not None]
        if load:
            m.add(sum(load) <= len(b.party_cover[p]))
    n = b.prep.n
    broken = {key: m.new_int_var(0, n, f"breaks[{key[0]},{key[1]}]") for key in b.segment_breaks}
    sel.segment_breaks = {key: [var] for key, var in broken.items()}
    crowded_intervals(sel)
    return sel, broken
