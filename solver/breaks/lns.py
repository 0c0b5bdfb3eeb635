"""Large neighbourhood search for the breaks stage.

CP-SAT's own LNS workers free random variables or constraint-graph neighbourhoods; on
break minimisation the moves that pay free whole parties (every meeting of a party with
breaks and of its partners, breadth first) or a window of consecutive slots (every meeting
held in it), everything else fixed at the incumbent. Each move is
the same model (every hard rule, the fixed objectives of the earlier stages) with the
other requests' starts fixed, solved to optimality or a short limit; the result is kept
when it is no worse, so the search also walks along plateaus.

The size of the neighbourhood adapts: it grows while the moves are solved to optimality
without a gain (the neighbourhood is too small to contain one) and shrinks when they run
out of time.
"""

from __future__ import annotations

import random
import time

from ortools.sat.python import cp_model

from ..extract import placements
from ..model import Built, evaluate, fix_outside, set_hint
from .scope import Scope


def party_breaks(b: Built, values: list[int]) -> dict[str, int]:
    """Breaks of every counted party in a solution vector."""
    out: dict[str, int] = {}
    for p, expr in b.breaks.items():
        out[p] = expr if isinstance(expr, int) else values[expr.index]
    return out


def neighbourhood(b: Built, values: list[int], size: int, rng: random.Random) -> set[int]:
    """Requests to free: those of a party with breaks, then of its partners, and of their
    partners, breadth first in random order, until `size` requests are free."""
    breaks = party_breaks(b, values)
    with_breaks = [p for p, n in breaks.items() if n > 0]
    parties = list(b.party_requests)
    if not parties:
        return set()
    first = rng.choice(with_breaks or parties)
    free: set[int] = set()
    queue = [first]
    seen = {first}
    while queue and len(free) < size:
        p = queue.pop(0)
        rs = [r for r in b.party_requests[p] if b.y[r]]
        free.update(rs)
        partners = [q for r in rs for q in b.inst.requests[r].parties if q not in seen]
        rng.shuffle(partners)
        # parties with breaks first: freeing them is what can lower the total
        partners.sort(key=lambda q: -breaks.get(q, 0))
        for q in partners:
            if q not in seen:
                seen.add(q)
                queue.append(q)
    return free


def window(b: Built, values: list[int], size: int, rng: random.Random) -> set[int]:
    """Requests held in a random window of consecutive slots, widened until `size` are free."""
    at: dict[int, list[int]] = {}
    for r, s in placements(b, values).items():
        at.setdefault(s, []).append(r)
    slots = sorted(at)
    if not slots:
        return set()
    i = j = rng.randrange(len(slots))
    free = set(at[slots[i]])
    while len(free) < size and (i > 0 or j < len(slots) - 1):
        if j < len(slots) - 1 and (i == 0 or rng.random() < 0.5):
            j += 1
            free.update(at[slots[j]])
        else:
            i -= 1
            free.update(at[slots[i]])
    return free


def improve(s: Scope, values: list[int], lower: int, seconds: float) -> list[int]:
    """Improve the solution `values` of `s.m` for `seconds`; stop early at `lower`. Returns
    the best solution found; each gain is reported with `lower` as the bound."""
    t0 = time.perf_counter()
    b, expr, options, tuning = s.b, s.expr, s.options, s.tuning
    on_better = s.reporter(lower)
    rng = random.Random(options.seed)
    best, ub = values, evaluate(expr, values)
    size = tuning.lns_start_size
    n_requests = sum(1 for ys in b.y if ys)
    while ub > lower:
        left = seconds - (time.perf_counter() - t0)
        if left < 0.05:
            break
        pick = window if rng.random() < tuning.lns_window_share else neighbourhood
        free = pick(b, best, size, rng)
        sub = s.m.clone()
        fix_outside(sub, b, best, free)
        set_hint(sub, best)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = options.workers
        solver.parameters.random_seed = rng.randrange(1 << 30)
        solver.parameters.max_time_in_seconds = min(left, tuning.lns_move_max_s)
        solver.parameters.subsolvers.extend(tuning.lns_subsolvers)
        status = solver.solve(sub)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            cand = list(solver.response_proto.solution)
            value = evaluate(expr, cand)
            if value <= ub:
                if value < ub and on_better is not None:
                    on_better(value)
                best, ub = cand, value
        if status == cp_model.OPTIMAL:
            size = min(n_requests, max(size + 1, int(size * tuning.lns_grow)))
        else:
            size = max(tuning.lns_min_size, int(size * tuning.lns_shrink))
    return best
