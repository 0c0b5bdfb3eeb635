"""The breaks stage's search over one model: a short plain minimisation, then targets from
the bound up ("breaks <= target" as a feasibility problem, raised on each refutation).

CP-SAT's LP-free search finds schedules at a fixed small target far sooner than a
minimisation improves its way down to them. Where the local search applies (one-slot
meetings, pooled rooms), an incumbent above the bound is first walked down by it, with the
relaxation bound computed beside it; elsewhere a far incumbent is walked down by large
neighbourhood search. A target neither found nor refuted raises the bound once (the
relaxation, if not computed yet), then the local search (or large neighbourhood search)
improves the incumbent for the rest of the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..cpsat import Outcome
from ..model import evaluate, set_hint
from ..models import Status
from . import lns, local
from .portfolio import portfolio
from .race import won
from .scope import Scope


def target_search(
    s: Scope,
    seconds: float,
    hint: list[int] | None,
    lower: int = 0,
    lower_bound: Callable[[float], int] | None = None,
) -> Outcome:
    """Minimise the breaks over `s.m`: a short plain run, then targets from the bound up
    (at least `lower`, a bound known beforehand). With `s.limit`, stop once the target
    reaches it (the caller falls back). `lower_bound(seconds left)`, when given, is a
    proven bound, computed when a first target is neither found nor refuted (the
    busy-pattern relaxation). `s.race`, when given, is the MaxSAT search beside this one:
    its bound raises the target, and this search ends once it has proven its optimum (the
    caller settles)."""
    t0 = time.perf_counter()
    m, expr, tuning, race, limit = s.m, s.expr, s.tuning, s.race, s.limit

    def left() -> float:
        return seconds - (time.perf_counter() - t0)

    first = min(tuning.first_max_s, tuning.first_share * seconds)
    subsolvers = tuning.first_subsolvers if limit is not None else ()
    out = s.solve(m, first, s.cb, subsolvers)
    if out.status == Status.UNKNOWN and hint is None and not won(race):
        # nothing yet (large instances: presolve alone takes a good part of the first
        # step): go on until a first schedule, with at most half of the time left
        out = s.solve(m, left() / 2, s.cb, subsolvers, stop_after_first=True)
    best = out.values if out.values is not None else hint
    if out.status in (Status.OPTIMAL, Status.INFEASIBLE, Status.MODEL_INVALID) or won(race):
        return out
    ub = evaluate(expr, best) if best is not None else None
    target = lower
    if out.status != Status.UNKNOWN and out.bound is not None:
        target = max(lower, out.bound)
    searchable = local.applies(s.b)
    if best is not None and ub > target and (searchable or ub - target > tuning.target_gap):
        # above the bound: first walk the incumbent down by local search or, when far, by
        # large neighbourhood search
        if searchable:
            relaxation = lower_bound is not None and s.options.workers > 1
            best, target = portfolio(s, best, target, relaxation, tuning.local_share * left())
            if relaxation:
                lower_bound = None  # computed: not again
        elif limit is not None:
            best = lns.improve(s, best, target, tuning.wide_gap_share * left())
        ub = evaluate(expr, best)
        if limit is None and ub - target > tuning.target_gap and not won(race):
            # still far, no fairness restriction: plain minimisation for the rest
            set_hint(m, best)
            again = s.solve(m, left(), s.cb)
            if again.values is None or evaluate(expr, again.values) > ub:
                return Outcome(Status.FEASIBLE, best, target)
            return again
    return _targets(s, t0 + seconds, best, target, lower_bound, searchable)


def _targets(
    s: Scope,
    deadline: float,
    best: list[int] | None,
    lo: int,
    lower_bound: Callable[[float], int] | None,
    searchable: bool,
) -> Outcome:
    """The targets from `lo` (a proven bound) up to the incumbent `best`, until `deadline`
    (see target_search)."""
    expr, tuning, race, limit = s.expr, s.tuning, s.race, s.limit
    ub = evaluate(expr, best) if best is not None else None
    base = s.m.clone()
    base.clear_objective()
    base.clear_hints()
    t = lo
    while (ub is None or lo < ub) and (limit is None or lo < limit) and not won(race):
        left = deadline - time.perf_counter()
        if left <= 0.05:
            break
        if race is not None and race.bound() > lo:
            lo = t = race.bound()
            continue
        if (ub is not None and t >= ub) or (limit is not None and t >= limit):
            t = lo
        # the last target below the incumbent gets the time left, unless the local search
        # can take over from the slice (it closes the last break more often than CP-SAT)
        last = ub is not None and t == ub - 1 == lo and not searchable
        feasibility = base.clone()
        feasibility.add(expr <= t)
        set_hint(feasibility, best)
        slice_s = left if last else max(tuning.target_slice_min_s, tuning.target_slice_share * left)
        res = s.solve(feasibility, min(left, slice_s), None, tuning.target_subsolvers)
        if res.values is not None:
            best, ub = res.values, evaluate(expr, res.values)
            if s.cb is not None:
                s.cb.report(ub, lo)
            t = lo
        elif res.status == Status.INFEASIBLE:
            lo = t = max(lo, t + 1)
        elif lower_bound is not None:
            # neither found nor refuted: first try to raise the bound (once)
            lo = t = max(lo, lower_bound(deadline - time.perf_counter()))
            lower_bound = None
        elif best is not None:
            # neither found nor refuted again: local search (or, where it does not apply,
            # large neighbourhood search) from the incumbent for the rest of the time; both
            # stop early on reaching lo
            left = deadline - time.perf_counter()
            if left <= 0.05:
                break
            if searchable:
                best, lo = portfolio(s, best, lo, False, left)
            else:
                best = lns.improve(s, best, lo, left)
            ub = evaluate(expr, best)
            t = lo
        else:  # neither found nor refuted: jump halfway to the incumbent
            t += 1 if ub is None else max(1, (ub - t) // 2)
    if best is None:
        return Outcome(Status.UNKNOWN, None, lo)
    status = Status.OPTIMAL if lo >= ub else Status.FEASIBLE
    return Outcome(status, best, min(lo, ub))
