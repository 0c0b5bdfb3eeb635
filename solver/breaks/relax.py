"""A lower bound for the breaks stage from a relaxation that forgets the meetings.

When every request that can be scheduled is mandatory, each party's number of busy slots is
known. The relaxation keeps only *when* each party is busy: busy slots equal to the party's
load, each group of its meetings offered enough of the slots it may use (Hall's condition),
per slot at most as many busy parties as the rooms can seat (an even number when every
meeting there has two parties), a busy party has some partner busy at the same slot, the
same break count (gap starts) and break fairness with ``min_breaks = 0``, and the crowded-
interval cuts. Which meeting fills each busy slot is left out, so the model has one Boolean
per (party, slot) instead of one per (request, slot), and CP-SAT often proves its optimum
where the full model's bound stays below it. Any bound of the relaxation bounds the
restricted breaks stage.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ortools.sat.python import cp_model

from ..features import Feature
from ..model import (
    Built,
    crowded_intervals,
    gap_breaks_of,
    hall_needs,
    slot_capacities,
    weight_is_constant,
)

RELAX_WORKERS = ("max_lp", "core")


# A relaxation: it drops which meeting fills each busy slot and keeps only consequences of
# the rules, so its bound holds under every rule below.
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
        Feature.REPLAN,
        Feature.BREAK_FAIRNESS,
    }
)


def applies(b: Built) -> bool:
    """Supported features, breaks counted, and loads known: every schedulable request is
    mandatory."""
    return b.features <= SUPPORTS and bool(b.counted) and weight_is_constant(b)


def restricted_breaks_bound(
    b: Built, seconds: float, solver: cp_model.CpSolver | None = None
) -> int | None:
    """A proven lower bound on the total breaks with every counted party at most
    `break_fairness` breaks (no limit without fairness); None when not applicable.
    `solver`, when given, runs the search (another thread may stop it with `stop_search`;
    its number of workers is kept)."""
    if not applies(b):
        return None
    r = relaxed(b)
    r.model.minimize(sum(g for gs in r.segment_breaks.values() for g in gs))
    if solver is None:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = b.options.workers
        solver.parameters.subsolvers.extend(RELAX_WORKERS)
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.random_seed = b.options.seed
    status = solver.solve(r.model)
    if status == cp_model.INFEASIBLE:
        return None  # the caller's model is infeasible too; let it find that out itself
    if status == cp_model.MODEL_INVALID:
        return None
    # CP-SAT's objective bound is proven even when no relaxed schedule was found yet (it is
    # not finite when the search was stopped before it had any)
    bound = solver.best_objective_bound
    return max(0, math.ceil(bound - 1e-6)) if math.isfinite(bound) else 0


def relaxed(b: Built) -> Built:
    """The busy-pattern relaxation of `b` (same instance, same candidate slots)."""
    inst, prep = b.inst, b.prep
    m = cp_model.CpModel()
    r = Built(model=m, prep=prep, options=b.options)
    r.party_cover, r.slot_cover = b.party_cover, b.slot_cover  # read only: keys and requests
    r.sched, r.party_requests, r.counted = b.sched, b.party_requests, b.counted
    reqs = inst.requests
    for p, cover in b.party_cover.items():
        r.busy[p] = {t: m.new_bool_var(f"busy[{p},{t}]") for t in sorted(cover)}
    for p, busy in r.busy.items():
        mine = [q for q in b.party_requests[p] if b.sched[q] is not None]
        if not mine:
            continue
        m.add(sum(busy.values()) == sum(reqs[q].duration for q in mine))
        for span, need in hall_needs(prep, mine, frozenset(busy)):
            if need < len(span):
                m.add(sum(busy[t] for t in span) >= need)
        _partner_busy(r, p, mine)
    for seg in prep.segments(b.options.breaks_span_blocks):
        cap = slot_capacities(b, seg)[None]
        for t in seg:
            here = [busy[t] for busy in r.busy.values() if t in busy]
            if not here:
                continue
            sizes = {len(reqs[q].parties) for q, _ in b.slot_cover.get(t, [])}
            if sizes == {2}:
                pairs = m.new_int_var(0, cap[t] // 2, f"pairs[{t}]")
                m.add(sum(here) == 2 * pairs)
            else:
                m.add(sum(here) <= cap[t])
    for p in b.counted:
        gap_breaks_of(r, p)
    crowded_intervals(r)  # every request mandatory (applies): no load literals over b's Booleans
    d = b.options.break_fairness
    if d is not None:
        per_party: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for (p, _seg), gs in r.segment_breaks.items():
            per_party[p].extend(gs)
        for gs in per_party.values():
            if len(gs) > d:
                m.add(sum(gs) <= d)
    return r


def _partner_busy(r: Built, p: str, mine: list[int]) -> None:
    """A busy party meets someone: some co-party of a request that can cover t is busy."""
    reqs, prep = r.inst.requests, r.prep
    partners: dict[int, set[str]] = defaultdict(set)
    alone: set[int] = set()
    for q in mine:
        others = [x for x in reqs[q].parties if x != p]
        for s in prep.starts[q]:
            for t in range(s, s + reqs[q].duration):
                if others:
                    partners[t].update(others)
                else:
                    alone.add(t)
    busy = r.busy[p]
    for t, var in busy.items():
        if t in alone:
            continue
        lits = [r.busy[x][t] for x in partners.get(t, ()) if t in r.busy[x]]
        r.model.add_bool_or([~var, *lits])
