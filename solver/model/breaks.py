"""Breaks: per counted party the gap starts, break fairness (a hard rule) and the breaks
objective, added to the model by `add_breaks`."""

from __future__ import annotations

from ortools.sat.python import cp_model

from ..prep import Prepared
from .built import Built, value_of
from .crowded import crowded_intervals


def counted_parties(prep: Prepared, which: str) -> list[str]:
    """The parties whose breaks count (`Options.break_parties`), among those with requests
    (never the virtual parties of shared home rooms)."""
    inst = prep.inst
    kinds = {"all": None, "delegations": "delegation", "sectors": "sector"}
    if which == "none":
        return []
    kind = kinds[which]
    with_requests = {p for req in inst.requests for p in req.parties}
    return [
        p.id
        for p in inst.parties
        if p.id in with_requests and (kind is None or p.kind == kind) and p.id not in prep.virtual
    ]


def add_breaks(b: Built) -> None:
    """Breaks per counted party, break fairness and the breaks objective.

    Created only when needed (the breaks stage, or from the start with break fairness,
    a hard rule), so the earlier stages solve a smaller model.
    """
    if "breaks" in b.objectives:
        return
    b.counted = counted_parties(b.prep, b.options.break_parties)
    for p in b.counted:
        b.breaks[p] = gap_breaks_of(b, p)
    b.sure_active = [p for p in b.breaks if has_meeting(b, p, create=False) is True]
    crowded_intervals(b)
    break_fairness(b)
    b.objectives["breaks"] = breaks_objective(b)


def gap_breaks_of(b: Built, p: str) -> cp_model.LinearExprT:
    """Breaks of p = number of gap starts: slots t with p busy at t-1, idle at t and busy
    again later in the segment (`later[t]` = OR of busy from t to the segment end).

    With every gap literal false (a zero bound), unit propagation alone fills the slots
    between two meetings of p: busy[t-1] and later[t+1] force busy[t].
    """
    m = b.model
    busy = b.busy[p]
    terms: list[cp_model.IntVar] = []
    for seg in b.prep.segments(b.options.breaks_span_blocks):
        slots = [t for t in seg if t in busy]
        if len(slots) < 2:
            continue
        first, end = slots[0], slots[-1]
        later: dict[int, cp_model.IntVar] = {end: busy[end]}
        for t in range(end - 1, first, -1):
            nxt = later[t + 1]
            if t not in busy:
                later[t] = nxt
                continue
            v = m.new_bool_var(f"later[{p},{t}]")
            m.add_bool_or([~v, busy[t], nxt])
            m.add_implication(busy[t], v)
            m.add_implication(nxt, v)
            b.define(v, lambda val, a=busy[t], z=nxt: int(val[a.index] or val[z.index]))
            later[t] = v
        for t in range(first + 1, end):
            if (t - 1) not in busy:
                continue
            prev, nxt = busy[t - 1], later[t + 1]
            g = m.new_bool_var(f"gap_start[{p},{t}]")
            if t in busy:
                cur = busy[t]
                m.add_bool_or([~prev, cur, ~nxt, g])
                m.add_implication(g, ~cur)
                b.define(
                    g,
                    lambda v, a=prev, c=cur, z=nxt: int(
                        v[a.index] and not v[c.index] and v[z.index]
                    ),
                )
            else:
                m.add_bool_or([~prev, ~nxt, g])
                b.define(g, lambda v, a=prev, z=nxt: int(v[a.index] and v[z.index]))
            m.add_implication(g, prev)
            m.add_implication(g, nxt)
            terms.append(g)
            b.segment_breaks.setdefault((p, seg.start), []).append(g)
    if not terms:
        return 0
    b.break_terms[p] = sum(terms)
    count = m.new_int_var(0, b.prep.n, f"breaks[{p}]")
    m.add(count == sum(terms))
    b.define(count, lambda v: sum(v[g.index] for g in terms))
    return count


def has_meeting(b: Built, p: str, create: bool = True) -> bool | cp_model.IntVar | None:
    """True, or a literal that is true iff p has a scheduled meeting (None: create=False)."""
    rs = b.party_requests[p]
    if any(b.inst.requests[r].mandatory and b.sched[r] is not None for r in rs):
        return True
    if not create:
        return None
    lits = [b.sched[r] for r in rs if b.sched[r] is not None]
    has = b.model.new_bool_var(f"has_meeting[{p}]")
    b.model.add_max_equality(has, lits) if lits else b.model.add(has == 0)
    b.define(has, lambda v: int(any(v[x.index] for x in lits)))
    return has


def breaks_objective(b: Built) -> tuple[cp_model.LinearExprT, str]:
    """Stage `breaks`: total breaks of the counted parties (min).

    Written over the gap-start Booleans (not the per-party counts), which suits CP-SAT's
    core-based lower-bound search.
    """
    if not b.breaks:
        return 0, "min"
    return sum(b.break_terms.get(p, expr) for p, expr in b.breaks.items()), "min"


def break_fairness(b: Built) -> None:
    """Hard: breaks(p) - min_q breaks(q) <= d over counted parties with a meeting."""
    d = b.options.break_fairness
    if d is None or len(b.breaks) < 2:
        return
    m = b.model
    big = b.prep.n
    low = m.new_int_var(0, big, "min_breaks")
    b.min_breaks = low
    actives = []
    for p, expr in b.breaks.items():
        has = has_meeting(b, p)
        if has is True:
            m.add(low <= expr)
        else:
            m.add(low <= expr + big * (1 - has))
        m.add(expr <= low + d)
        actives.append((has, expr))
    # implied: every party surely meeting has at least min_breaks breaks, so a total below
    # their number forces min_breaks = 0 (then simply breaks(p) <= d for all)
    sure = [expr for has, expr in actives if has is True]
    if sure:
        m.add(sum(sure) >= len(sure) * low)

    def value(v: list[int]) -> int:
        counts = [value_of(v, expr) for has, expr in actives if has is True or v[has.index]]
        return min(counts, default=0)

    b.define(low, value)
