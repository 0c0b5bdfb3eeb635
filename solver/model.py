"""The CP-SAT model: variables, hard rules and the objective expressions of every stage.

Decomposition
-------------
* ``y[r, s]`` (Boolean): request ``r`` starts at slot ``s``. Created only for the
  candidate starts of :mod:`solver.prep` (every single-request rule already applied:
  contiguity inside one block, allowed windows, availability of every party, pins).
* ``sched[r]`` = sum_s y[r, s] (at most one start per request).
* Rooms ("pooled" mode, :func:`solver.prep.room_chain`). When the sets of rooms that fit
  each request form a chain S_1 < S_2 < ... (identical rooms: one set; capacity classes
  or a room reserved for one party: nested sets) and, with several sets, every meeting
  lasts one slot, rooms get no variables: per slot and per S_j, the meetings whose rooms
  lie inside S_j number at most |S_j| (Hall's condition, exact for nested sets). Rooms are
  assigned after the solve by start time, most restricted meetings first
  (``assign_pooled_rooms`` in solve.py), which always succeeds; this removes the room
  symmetry entirely. Otherwise ("full" mode: pinned rooms, `sector_keeps_room`,
  non-nested sets, or long meetings with mixed rooms) ``x[r, s, k]`` chooses the room,
  only for fitting rooms, with ``sum_k x[r, s, k] = y[r, s]`` and one meeting per room
  and slot.
* ``busy[p, t]`` (Boolean, every party) equals the number of p's meetings covering slot t
  (``exactly_one(meetings covering t, not busy)``). The break variables are added only
  for the breaks stage (:func:`add_breaks`), or from the start when break fairness (a
  hard rule) needs them, so the earlier stages solve a smaller model; every auxiliary
  variable is registered with its definition (``Built.define``) so a complete hint can be
  computed from the placements alone.

Implied constraints (redundant, they strengthen propagation / the LP):
* per party: sum of its scheduled meeting-slots = sum of its busy slots, and <= the
  number of slots its candidate meetings can cover;
* per slot: sum of meetings covering it <= n_rooms, and busy parties = sum over the
  covering meetings of their number of parties;
* per party and break segment: no break <=> its busy slots fit in a window of their count.

Precedence (`after`) only binds when both requests are scheduled: a request whose
predecessor is dropped may still be scheduled anywhere.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model, cp_model_helper

from .models import Instance, Options
from .prep import ROOM_FILTERS, START_FILTERS, Prepared

PER_MILLE = 1000


@dataclass
class Built:
    """The model and handles to its variables."""

    model: cp_model.CpModel
    prep: Prepared
    options: Options
    y: list[dict[int, cp_model.IntVar]] = field(default_factory=list)
    x: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    sched: list[cp_model.IntVar | None] = field(default_factory=list)
    party_cover: dict[str, dict[int, list[cp_model.IntVar]]] = field(default_factory=dict)
    slot_cover: dict[int, list[tuple[int, cp_model.IntVar]]] = field(default_factory=dict)
    busy: dict[str, dict[int, cp_model.IntVar]] = field(default_factory=dict)
    counted: list[str] = field(default_factory=list)
    breaks: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    # per counted party: breaks as a linear expression of Booleans (run starts - active)
    break_terms: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    min_breaks: cp_model.IntVar | None = None  # min_q breaks(q), with break fairness
    # per (counted party, segment start): the Booleans whose sum is its breaks there
    segment_breaks: dict[tuple[str, int], list[cp_model.IntVar]] = field(default_factory=dict)
    crowded: int = 0  # crowded-interval cuts added
    sure_active: list[str] = field(default_factory=list)  # counted parties surely meeting
    mandatory_lits: dict[int, cp_model.IntVar] = field(default_factory=dict)
    objectives: dict[str, tuple[cp_model.LinearExprT, str]] = field(default_factory=dict)
    # per stage whose objective is fixed for the later ones: (value, sense); the objective
    # is at least the value (max), at most (min)
    fixed: dict[str, tuple[int, str]] = field(default_factory=dict)
    delegations: list[str] = field(default_factory=list)
    party_requests: dict[str, list[int]] = field(default_factory=dict)
    # How to compute every auxiliary variable from the placements (for complete hints)
    defs: list[tuple[cp_model.IntVar, Callable[[list[int]], int]]] = field(default_factory=list)

    def define(self, var: cp_model.IntVar, fn: Callable[[list[int]], int]) -> None:
        self.defs.append((var, fn))

    @property
    def inst(self) -> Instance:
        return self.prep.inst


# ----------------------------------------------------------------------------- hard rules


def mandatory(b: Built) -> None:
    """Mandatory requests are scheduled (through assumption literals when explaining)."""
    for r, req in enumerate(b.inst.requests):
        if not req.mandatory:
            continue
        sched = b.sched[r]
        if r in b.mandatory_lits:
            lit = b.mandatory_lits[r]
            if sched is None:
                b.model.add_bool_or([~lit])
            else:
                b.model.add_implication(lit, sched)
        elif sched is None:
            b.model.add_bool_or([])  # statically impossible: the model is infeasible
        else:
            b.model.add(sched == 1)


def no_party_overlap(b: Built) -> None:
    """No party in two meetings at once; defines busy[p, t].

    ``exactly_one(meetings of p covering t, not busy[p, t])`` is both the rule and the
    definition of busy; as an equality it also enters CP-SAT's LP relaxation (a plain
    at_most_one does not at the default linearization level), which gives the weight
    stage its bound.
    """
    for p, cover in b.party_cover.items():
        for t, vars_ in sorted(cover.items()):
            busy = b.model.new_bool_var(f"busy[{p},{t}]")
            b.busy[p][t] = busy
            b.model.add_exactly_one([*vars_, ~busy])
            b.define(busy, lambda v, vs=vars_: int(any(v[x.index] for x in vs)))


def no_room_overlap(b: Built) -> None:
    """No room with two meetings at once.

    Pooled rooms: per slot and per set S_j of the room chain, the meetings whose fitting
    rooms lie inside S_j number at most |S_j| (Hall's condition for nested sets).
    """
    n_rooms = len(b.inst.rooms)
    for _t, cover in sorted(b.slot_cover.items()):
        if len(cover) > n_rooms:
            b.model.add(sum(v for _, v in cover) <= n_rooms)
    if b.prep.pooled:
        chain, cls = b.prep.room_chain, b.prep.room_class
        for t, cover in sorted(b.slot_cover.items()):
            for j, rooms in enumerate(chain[:-1]):
                inside = [v for r, v in cover if cls[r] <= j]
                if len(inside) > len(rooms):
                    b.model.add(sum(inside) <= len(rooms)).with_name(f"rooms[{t},{j}]")
        return
    per_room: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (r, s, k), var in b.x.items():
        for t in range(s, s + b.inst.requests[r].duration):
            per_room[k, t].append(var)
    for vars_ in per_room.values():
        if len(vars_) > 1:
            b.model.add_at_most_one(vars_)


def precedences(b: Built) -> None:
    """If both are scheduled, every request in `after` ends before this one starts."""
    index = {req.id: r for r, req in enumerate(b.inst.requests)}
    for r, req in enumerate(b.inst.requests):
        for other in req.after:
            q = index[other]
            d_q = b.inst.requests[q].duration
            for s, y_rs in b.y[r].items():
                late = [y for s2, y in b.y[q].items() if s2 + d_q > s]
                if late:
                    b.model.add_at_most_one([*late, y_rs])


def sector_keeps_room(b: Built) -> None:
    """With `options.sector_keeps_room`, each sector holds all its meetings in one room."""
    if not b.options.sector_keeps_room:
        return
    sectors = {p.id for p in b.inst.parties if p.kind == "sector"}
    holds: dict[tuple[str, int], cp_model.IntVar] = {}
    for (r, _s, k), var in b.x.items():
        for p in b.inst.requests[r].parties:
            if p in sectors:
                if (p, k) not in holds:
                    holds[p, k] = b.model.new_bool_var(f"room_of[{p},{b.inst.rooms[k].id}]")
                b.model.add_implication(var, holds[p, k])
    by_sector: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for (p, _k), var in holds.items():
        by_sector[p].append(var)
    for vars_ in by_sector.values():
        b.model.add_at_most_one(vars_)
    used: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    for (r, _s, k), var in b.x.items():
        for p in b.inst.requests[r].parties:
            if (p, k) in holds:
                used[p, k].append(var)
    for key, var in holds.items():
        b.define(var, lambda v, xs=used[key]: int(any(v[x.index] for x in xs)))


def implied(b: Built) -> None:
    """Redundant constraints that help the solver (see the module docstring)."""
    reqs = b.inst.requests
    by_party: dict[str, list[int]] = defaultdict(list)
    for r, req in enumerate(reqs):
        if b.sched[r] is not None:
            for p in req.parties:
                by_party[p].append(r)
    for p, rs in by_party.items():
        load = sum(reqs[r].duration * b.sched[r] for r in rs)
        coverable = len(b.party_cover[p])
        if sum(reqs[r].duration for r in rs) > coverable:
            b.model.add(load <= coverable)
        if b.busy.get(p):
            b.model.add(sum(b.busy[p].values()) == load)
    for t, cover in b.slot_cover.items():
        busy_t = [b.busy[p][t] for p in b.busy if t in b.busy[p]]
        b.model.add(sum(busy_t) == sum(len(reqs[r].parties) * v for r, v in cover))


def add_breaks(b: Built) -> None:
    """Breaks per counted party, break fairness and the breaks objective.

    Created only when needed (the breaks stage, or from the start with break fairness,
    a hard rule), so the earlier stages solve a smaller model.
    """
    if "breaks" in b.objectives:
        return
    b.counted = counted_parties(b.inst, b.options.break_parties)
    for p in b.counted:
        b.breaks[p] = (_gap_breaks_of if BREAK_ENCODING == "gaps" else _breaks_of)(b, p)
    b.sure_active = [p for p in b.breaks if has_meeting(b, p, create=False) is True]
    crowded_intervals(b)
    break_fairness(b)
    b.objectives["breaks"] = breaks_objective(b)


# The hard rules, in one list. The first seven are single-request filters applied while
# creating the variables (solver/prep.py); the others are constraints on the variables.
HARD_RULES: tuple[Callable, ...] = (
    *START_FILTERS,  # contiguity, allowed_windows, availability, pins
    *ROOM_FILTERS,  # room_capacity, room_reservation, pinned_room
    mandatory,
    no_party_overlap,
    no_room_overlap,
    precedences,
    sector_keeps_room,
)
CONSTRAINT_RULES = (mandatory, no_party_overlap, no_room_overlap, precedences, sector_keeps_room)


# ----------------------------------------------------------------------------- objectives


def weight_objective(b: Built) -> tuple[cp_model.LinearExprT, str]:
    """Stage `weight`: total weight of the scheduled requests (max)."""
    reqs = b.inst.requests
    return sum(reqs[r].weight * s for r, s in enumerate(b.sched) if s is not None), "max"


def delegations_for_fairness(inst: Instance) -> list[str]:
    """Delegations with at least one request of positive total weight."""
    total: dict[str, int] = defaultdict(int)
    for req in inst.requests:
        for p in req.parties:
            total[p] += req.weight
    return [p.id for p in inst.parties if p.kind == "delegation" and total.get(p.id, 0) > 0]


def fairness_objective(b: Built) -> tuple[cp_model.LinearExprT, str]:
    """Stage `fairness`: min over delegations of floor(1000 * scheduled / requested weight)."""
    m = b.model
    share = m.new_int_var(0, PER_MILLE, "min_share_per_mille")
    parts: list[tuple[int, list[tuple[int, cp_model.IntVar]]]] = []
    for d in b.delegations:
        rs = b.party_requests[d]
        requested = sum(b.inst.requests[r].weight for r in rs)
        got = [(b.inst.requests[r].weight, b.sched[r]) for r in rs if b.sched[r] is not None]
        m.add(PER_MILLE * sum(w * x for w, x in got) >= requested * share).with_name(f"share[{d}]")
        parts.append((requested, got))

    def value(v: list[int]) -> int:
        shares = [PER_MILLE * sum(w * v[x.index] for w, x in got) // req for req, got in parts]
        return min(shares, default=PER_MILLE)

    b.define(share, value)
    return share, "max"


def counted_parties(inst: Instance, which: str) -> list[str]:
    kinds = {"all": None, "delegations": "delegation", "sectors": "sector"}
    if which == "none":
        return []
    kind = kinds[which]
    with_requests = {p for req in inst.requests for p in req.parties}
    return [
        p.id for p in inst.parties if p.id in with_requests and (kind is None or p.kind == kind)
    ]


BREAK_ENCODING = "gaps"


def _gap_breaks_of(b: Built, p: str) -> cp_model.LinearExprT:
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


def _breaks_of(b: Built, p: str) -> cp_model.LinearExprT:
    """Breaks of p = sum over segments (days, or blocks) of (busy runs - 1 if any).

    A run starts at t when p is busy at t and idle at t-1 (or t opens the segment); the
    segment's `any` literal is the OR of its busy slots. Equivalent to counting maximal
    idle runs between two meetings, with fewer auxiliary variables.
    """
    m = b.model
    busy = b.busy[p]
    terms: list[cp_model.LinearExprT] = []
    values: list[Callable[[list[int]], int]] = []
    for seg in b.prep.segments(b.options.breaks_span_blocks):
        slots = [t for t in seg if t in busy]
        if len(slots) < 2:
            continue
        starts = []
        for t in slots:
            if t == seg.start or (t - 1) not in busy:
                starts.append(busy[t])
                continue
            st = m.new_bool_var(f"run_start[{p},{t}]")
            m.add_bool_or([~busy[t], busy[t - 1], st])  # busy t, idle t-1 => start
            m.add_implication(st, busy[t])
            m.add_implication(st, ~busy[t - 1])
            starts.append(st)
            b.define(st, lambda v, a=busy[t], z=busy[t - 1]: int(v[a.index] and not v[z.index]))
        if _surely_active(b, p, seg):
            any_ = 1
        else:
            any_ = m.new_bool_var(f"active[{p},{seg.start}]")
            for t in slots:
                m.add_implication(busy[t], any_)
            m.add_bool_or([busy[t] for t in slots]).only_enforce_if(any_)
            b.define(any_, lambda v, bs=[busy[t] for t in slots]: int(any(v[x.index] for x in bs)))
        m.add(sum(starts) >= any_)
        terms.append(sum(starts) - any_)
        seg_value = _seg_breaks(starts, any_)
        _contiguous_when_no_break(b, p, seg, slots, sum(starts) - any_, seg_value)
        values.append(seg_value)
    if not terms:
        return 0
    b.break_terms[p] = sum(terms)
    count = m.new_int_var(0, b.prep.n, f"breaks[{p}]")
    m.add(count == sum(terms))
    b.define(count, lambda v: sum(f(v) for f in values))
    return count


def _seg_breaks(starts: list, any_) -> Callable[[list[int]], int]:
    """The value of (busy runs - active) of one segment, from a solution vector."""

    def value(v: list[int]) -> int:
        active = 1 if isinstance(any_, int) else v[any_.index]
        return sum(v[x.index] for x in starts) - active

    return value


def _contiguous_when_no_break(
    b: Built,
    p: str,
    seg: range,
    slots: list[int],
    breaks: cp_model.LinearExprT,
    breaks_value: Callable[[list[int]], int],
) -> None:
    """Redundant: no break in the segment <=> its busy slots fit in a window of their count.

    `first <= t <= last` for every busy slot t, and `last - first + 1 <= busy slots` when the
    segment has no break, so a zero bound on the breaks propagates to the placements.
    """
    m = b.model
    busy = b.busy[p]
    first = m.new_int_var(seg.start, seg.stop - 1, f"first[{p},{seg.start}]")
    last = m.new_int_var(seg.start - 1, seg.stop - 1, f"last[{p},{seg.start}]")
    for t in slots:
        m.add(first <= t).only_enforce_if(busy[t])
        m.add(last >= t).only_enforce_if(busy[t])
    none = m.new_bool_var(f"no_break[{p},{seg.start}]")
    m.add(breaks == 0).only_enforce_if(none)
    m.add(breaks >= 1).only_enforce_if(~none)
    m.add(last - first + 1 <= sum(busy[t] for t in slots)).only_enforce_if(none)
    bs = [(t, busy[t]) for t in slots]
    b.define(first, lambda v: min((t for t, x in bs if v[x.index]), default=seg.start))
    b.define(last, lambda v: max((t for t, x in bs if v[x.index]), default=seg.start - 1))
    b.define(none, lambda v: int(breaks_value(v) == 0))


def _surely_active(b: Built, p: str, seg: range) -> bool:
    """p has a mandatory meeting that can only take place inside `seg`."""
    for r in b.party_requests[p]:
        if b.inst.requests[r].mandatory and b.prep.starts[r]:
            starts = b.prep.starts[r]
            if seg.start <= starts[0] and starts[-1] < seg.stop:
                return True
    return False


@dataclass
class _SegmentLoad:
    """One party's meetings in a break segment, as the crowded-interval cuts see them."""

    free: list[int]  # its slots in the segment
    low: int  # slots its mandatory meetings confined to the segment fill
    needs: list[tuple[list[int], int]]  # Hall's condition for those meetings
    runs: dict[int, tuple[int, int] | None]  # load k (low..high) -> first, last run start
    optional: list[int]  # its optional requests confined to the segment
    breaks: cp_model.LinearExprT | None  # its breaks there (None: not counted)


def crowded_intervals(b: Built) -> None:
    """Implied (breaks stage): an interval of slots too crowded for every party to meet in
    one run forces breaks (energetic reasoning; it gives the LP its breaks bound).

    A party whose meetings confined to a segment fill k slots, with no break there, is busy
    in one run of >= k slots, which meets an interval I in at least ``m0(k)`` slots; with
    any breaks, in at least ``m_any(k)`` (each group of its mandatory meetings: their slots
    minus the group's slots outside I; all of them: k minus its free slots outside I).
    The load k is known when those meetings are mandatory; otherwise it is ``[k >= j]``
    literals over the scheduled optional ones (order encoding, created for the cuts), so a
    re-plan's or an edition's choice of requests is linked to the breaks it forces (GORE:
    a governor with 13 meetings in a run covers the two slots around lunch, one with 12
    only one of them). With ``G(k) = max(m0(k), m_any(k))``, which grows by 0 or 1 per
    slot of load, and ``c = max_k G(k) - m_any(k)``:
    ``busy(p, I) >= G(low) + sum of [k >= j] where G steps up - c * breaks(p, segment)``.
    Summed over the parties of one kind (delegations, say; and over all parties), the busy
    ones in I are at most cap(I) (:func:`_slot_capacities`); each cut is added where the
    parties' largest loads would exceed it. Only the break encoding with per-segment
    literals ("gaps") supports it.
    """
    if not b.segment_breaks:
        return
    inst = b.inst
    kinds = {p.id: p.kind for p in inst.parties}
    classes: list[str | None] = [None]
    if len({kinds[p] for p in b.party_cover}) > 1:
        classes += sorted({kinds[p] for p in b.party_cover})
    steps: dict[tuple[str, int], list[cp_model.IntVar]] = {}
    for seg in b.prep.segments(b.options.breaks_span_blocks):
        loads = {p: load for p in b.party_cover if (load := _segment_load(b, p, seg))}
        caps = _slot_capacities(b, seg)
        for kind in classes:
            mine = {p: load for p, load in loads.items() if kind is None or kinds[p] == kind}
            if mine:
                _crowded_cuts(b, seg, mine, caps[kind], steps, kind)


def _segment_load(b: Built, p: str, seg: range) -> _SegmentLoad | None:
    """p's meetings confined to `seg`, or None when it has none there."""
    prep, reqs = b.prep, b.inst.requests
    free = [t for t in seg if t in b.party_cover[p]]
    if not free:
        return None
    confined: list[int] = []  # mandatory meetings that can only take place in seg
    optional: list[int] = []
    exact = True  # p's busy slots in seg are exactly the mandatory confined meetings
    for r in b.party_requests[p]:
        req = reqs[r]
        if b.sched[r] is None:
            continue
        first, last = prep.starts[r][0], prep.starts[r][-1] + req.duration
        if last <= seg.start or first >= seg.stop:
            continue
        if seg.start <= first and last <= seg.stop:
            (confined if req.mandatory else optional).append(r)
        if not (req.mandatory and seg.start <= first and last <= seg.stop):
            exact = False
    if not confined and not optional:
        return None
    free_set = frozenset(free)
    needs = [(sorted(span), n) for span, n in hall_needs(prep, confined, free_set)]
    low = sum(reqs[r].duration for r in confined)
    # (low > len(free): the mandatory meetings do not fit, the model is infeasible anyway)
    high = max(low, min(len(free), low + sum(reqs[r].duration for r in optional)))
    runs: dict[int, tuple[int, int] | None] = {}
    for k in range(low, high + 1):
        # runs of k free slots; with an exact load, only those offering each group of
        # meetings enough of its slots (Hall's condition). Only the first and the last
        # start matter (_crowded_cuts)
        starts = [
            s
            for s in free
            if all(t in free_set for t in range(s, s + k))
            and (
                not (exact and k == low)
                or all(bisect_left(span, s + k) - bisect_left(span, s) >= n for span, n in needs)
            )
        ]
        runs[k] = (starts[0], starts[-1]) if starts else None
    gaps = b.segment_breaks.get((p, seg.start))
    return _SegmentLoad(free, low, needs, runs, optional, sum(gaps) if gaps else None)


def _crowded_cuts(
    b: Built,
    seg: range,
    loads: dict[str, _SegmentLoad],
    cap: dict[int, int],
    steps: dict[tuple[str, int], list[cp_model.IntVar]],
    kind: str | None,
) -> None:
    """The cuts of one segment over the parties `loads` (see crowded_intervals)."""
    # a party adds at most min(its largest load, |I|) to an interval I: intervals whose
    # seats hold that much for every party get no cut (most of them at MUNI size)
    highs = sorted(max(load.runs) for load in loads.values())
    for a in seg:
        seats = 0
        for z in range(a, seg.stop):
            seats += cap[z]
            width = z - a + 1
            if sum(min(h, width) for h in highs) <= seats:
                continue
            if sum(_most(load, a, z) for load in loads.values()) <= seats:
                continue
            need, most, lits, terms = 0, 0, [], []
            for p, load in loads.items():
                out = _outside(load, a, z)
                hall = _hall(load, a, z)
                g_prev, c, ups = 0, 0, []
                for k in range(load.low, max(load.runs) + 1):
                    m_any = max(hall, k - out)
                    run = load.runs[k]
                    if load.breaks is None or not run:  # breaks not counted here, or
                        # certain (no run of k; left to the model, which says why when a
                        # mandatory request is the cause)
                        m0 = m_any
                    else:  # the overlap with [a, z] rises then falls with the run's
                        # start: its minimum is at the first or the last start
                        m0 = min(_overlap(run[0], k, a, z), _overlap(run[1], k, a, z))
                    g = max(m0, m_any)
                    if k > load.low:
                        g = min(g, g_prev + 1)
                        if g > g_prev:
                            ups.append(k)
                    else:
                        need += g
                    c = max(c, g - m_any)
                    g_prev = g
                most += g_prev
                if ups:
                    at_least = _load_at_least(b, p, seg, load, steps)
                    lits.extend(at_least[k - load.low - 1] for k in ups)
                if c > 0:
                    terms.append(c * load.breaks)
            if most > seats and terms:
                name = f"crowded[{kind or 'all'},{a},{z}]"
                b.model.add(sum(terms) - sum(lits) >= need - seats).with_name(name)
                b.crowded += 1


def _outside(load: _SegmentLoad, a: int, z: int) -> int:
    """The party's free slots of the segment outside [a, z]."""
    return len(load.free) - (bisect_right(load.free, z) - bisect_left(load.free, a))


def _hall(load: _SegmentLoad, a: int, z: int) -> int:
    """Slots of [a, z] that the party's mandatory meetings fill in any case."""
    return max(
        max(0, n - len(span) + bisect_right(span, z) - bisect_left(span, a))
        for span, n in load.needs
    )


def _most(load: _SegmentLoad, a: int, z: int) -> int:
    """An upper bound of the party's term in the cut of [a, z] (its largest load's)."""
    k = max(load.runs)
    m_any = max(_hall(load, a, z), k - _outside(load, a, z))
    run = load.runs[k]
    if load.breaks is None or not run:
        return m_any
    return max(m_any, min(_overlap(run[0], k, a, z), _overlap(run[1], k, a, z)))


def _load_at_least(
    b: Built,
    p: str,
    seg: range,
    load: _SegmentLoad,
    steps: dict[tuple[str, int], list[cp_model.IntVar]],
) -> list[cp_model.IntVar]:
    """``[load >= k]`` for k = low + 1 .. high: p's slots of scheduled meetings confined to
    `seg` in order encoding (created once per party and segment)."""
    key = (p, seg.start)
    if key in steps:
        return steps[key]
    m, reqs = b.model, b.inst.requests
    high = max(load.runs)
    lits = [m.new_bool_var(f"load[{p},{seg.start}]>={k}") for k in range(load.low + 1, high + 1)]
    for lower, upper in zip(lits, lits[1:], strict=False):
        m.add_implication(upper, lower)
    scheduled = [(reqs[r].duration, b.sched[r]) for r in load.optional]
    m.add(sum(lits) == sum(d * x for d, x in scheduled))
    for j, lit in enumerate(lits):
        k = load.low + 1 + j

        def value(v: list[int], k: int = k) -> int:
            return int(load.low + sum(d * v[x.index] for d, x in scheduled) >= k)

        b.define(lit, value)
    steps[key] = lits
    return lits


def hall_needs(
    prep: Prepared, requests: list[int], free: frozenset[int]
) -> list[tuple[frozenset[int], int]]:
    """Hall's condition for one party's meetings: for each set of slots that some of its
    meetings may cover (and for `free`, all its slots), the slots those meetings need."""
    reqs = prep.inst.requests
    groups: dict[frozenset[int], int] = defaultdict(int)
    for r in requests:
        span = frozenset(t for s in prep.starts[r] for t in range(s, s + reqs[r].duration))
        groups[span] += reqs[r].duration
    return [
        (span, sum(n for other, n in groups.items() if other <= span)) for span in {*groups, free}
    ]


def _overlap(start: int, length: int, a: int, z: int) -> int:
    """Slots shared by [start, start + length) and [a, z]."""
    return max(0, min(start + length - 1, z) - max(start, a) + 1)


def _slot_capacities(b: Built, seg: range) -> dict[str | None, dict[int, int]]:
    """Per party kind (None: all parties) and slot: at most how many of them can be busy.

    At most as many meetings as rooms, and, for every kind of which each meeting that can
    cover the slot has at least lo parties, as its free parties // lo (GORE: one sector at
    least per meeting); then at most the free parties, and the meetings times the most
    parties of the kind one meeting has (an even number when every meeting has two parties).
    """
    reqs = b.inst.requests
    kind_of = {p.id: p.kind for p in b.inst.parties}
    kinds = sorted({kind_of[p] for p in b.party_cover})
    free: dict[int, dict[str, int]] = {t: dict.fromkeys(kinds, 0) for t in seg}
    for p, cover in b.party_cover.items():
        for t in cover:
            if t in free:
                free[t][kind_of[p]] += 1
    counts = [{k: sum(1 for p in req.parties if kind_of[p] == k) for k in kinds} for req in reqs]
    caps: dict[str | None, dict[int, int]] = {k: {} for k in [None, *kinds]}
    for t in seg:
        covering = {r for r, _ in b.slot_cover.get(t, [])}
        if not covering:
            for cap in caps.values():
                cap[t] = 0
            continue
        meetings = len(b.inst.rooms)
        most: dict[str, int] = {}
        for k in kinds:
            least = min(counts[r][k] for r in covering)
            most[k] = max(counts[r][k] for r in covering)
            if least:
                meetings = min(meetings, free[t][k] // least)
        sizes = {len(reqs[r].parties) for r in covering}
        every = min(meetings * max(sizes), sum(free[t].values()))
        caps[None][t] = every - every % 2 if sizes == {2} else every
        for k in kinds:
            caps[k][t] = min(meetings * most[k], free[t][k])
    return caps


def breaks_objective(b: Built) -> tuple[cp_model.LinearExprT, str]:
    """Stage `breaks`: total breaks of the counted parties (min).

    Written over the run-start Booleans (not the per-party counts), which suits CP-SAT's
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
        counts = [_value(v, expr) for has, expr in actives if has is True or v[has.index]]
        return min(counts, default=0)

    b.define(low, value)


def fix_objective(b: Built, stage: str, value: int, exact: bool = False) -> None:
    """Keep stage `stage` at `value` (or better, unless `exact`) in the later stages."""
    expr, sense = b.objectives[stage]
    if exact:
        b.model.add(expr == value).with_name(f"fix_{stage}")
    else:
        b.model.add(expr >= value if sense == "max" else expr <= value).with_name(f"fix_{stage}")
    b.fixed[stage] = (value, sense)


def _value(v: list[int], x) -> int:
    return x if isinstance(x, int) else v[x.index]


def extend_values(b: Built, values: list[int]) -> list[int]:
    """A solution vector extended to the variables created after it (add_breaks)."""
    n = len(b.model.proto.variables)
    v = values + [0] * (n - len(values))
    for var, fn in b.defs:
        if var.index >= len(values):
            v[var.index] = fn(v)
    return v


def least_value(m: cp_model.CpModel, expr: cp_model.LinearExprT) -> int:
    """The least value of `expr` over its variables' domains, constraints ignored (a
    re-plan's changes: the meetings whose old slot is no longer possible)."""
    if isinstance(expr, int):
        return expr
    flat = cp_model_helper.FlatIntExpr(expr)
    least = flat.offset
    for var, coeff in zip(flat.vars, flat.coeffs, strict=True):
        if var.index < 0:  # a negated Boolean
            low, high = 0, 1
        else:  # (the proto's repeated field does not index from the end)
            domain = list(m.proto.variables[var.index].domain)
            low, high = domain[0], domain[-1]
        least += min(coeff * low, coeff * high)
    return least


def complete_values(b: Built, values: list[int]) -> list[int]:
    """`values` with every defined auxiliary variable recomputed from the placements. A
    stage's solution leaves the objective variables of later stages at any value their
    constraints allow (the fairness share at 0, say), so read them only after this."""
    v = list(values)
    for var, fn in b.defs:
        v[var.index] = fn(v)
    return v


def hint_values(b: Built, placed: dict[tuple[int, int], int | None]) -> list[int]:
    """A value for every variable from placements {(request, start): room or None}."""
    # constants that the CP-SAT wrapper created keep their value
    v = [
        var.domain[0] if len(var.domain) == 2 and var.domain[0] == var.domain[1] else 0
        for var in b.model.proto.variables
    ]
    for (r, s), k in placed.items():
        v[b.y[r][s].index] = 1
        if not b.prep.pooled:
            v[b.x[r, s, k].index] = 1
    for var, fn in b.defs:
        v[var.index] = fn(v)
    return v


def evaluate(expr: cp_model.LinearExprT, values: list[int]) -> int:
    """The value of a linear expression in a solution vector."""
    if isinstance(expr, int):
        return expr
    flat = cp_model_helper.FlatIntExpr(expr)
    return flat.offset + sum(
        c * values[v.index] for v, c in zip(flat.vars, flat.coeffs, strict=True)
    )


def set_hint(m: cp_model.CpModel, values: list[int] | None) -> None:
    """Replace the model's hint by a value for every variable (or none)."""
    m.clear_hints()
    if values is not None:
        m.proto.solution_hint.vars.extend(range(len(values)))
        m.proto.solution_hint.values.extend(values)


def weight_is_constant(b: Built) -> bool:
    """True when every request that can be scheduled is mandatory."""
    return all(
        req.mandatory
        for req, sched in zip(b.inst.requests, b.sched, strict=True)
        if sched is not None
    )


def has_meeting(b: Built, p: str, create: bool = True):
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


def changes_objective(b: Built) -> tuple[cp_model.LinearExprT, str]:
    """Stage `changes`: requests whose (slot, room) differ from `options.previous` (min)."""
    prev = {a.request: a for a in b.options.previous or []}
    room_index = {room.id: k for k, room in enumerate(b.inst.rooms)}
    terms: list[cp_model.LinearExprT] = []
    for r, req in enumerate(b.inst.requests):
        a = prev.get(req.id)
        if a is None:
            if b.sched[r] is not None:
                terms.append(b.sched[r])
            continue
        if b.prep.pooled:
            keep = b.y[r].get(a.slot)
        else:
            keep = b.x.get((r, a.slot, room_index[a.room]))
        terms.append(1 if keep is None else 1 - keep)
    return sum(terms), "min"


# ----------------------------------------------------------------------------- building


def build(
    prep: Prepared,
    options: Options,
    stages: list[str],
    *,
    assume_mandatory: bool = False,
) -> Built:
    """Create variables, add every hard rule, and the objective expressions of `stages`."""
    inst = prep.inst
    m = cp_model.CpModel()
    m.name = inst.name
    b = Built(model=m, prep=prep, options=options)
    b.party_cover = {p.id: defaultdict(list) for p in inst.parties}
    b.slot_cover = defaultdict(list)
    b.busy = {p.id: {} for p in inst.parties}
    b.party_requests = {p.id: [] for p in inst.parties}
    for r, req in enumerate(inst.requests):
        for p in req.parties:
            b.party_requests[p].append(r)
    for r, req in enumerate(inst.requests):
        ys: dict[int, cp_model.IntVar] = {}
        rooms = prep.rooms[r]
        if rooms:
            for s in prep.starts[r]:
                y = m.new_bool_var(f"y[{req.id},{s}]")
                ys[s] = y
                for t in range(s, s + req.duration):
                    b.slot_cover[t].append((r, y))
                    for p in req.parties:
                        b.party_cover[p][t].append(y)
                if not prep.pooled:
                    xs = []
                    for k in rooms:
                        x = m.new_bool_var(f"x[{req.id},{s},{inst.rooms[k].id}]")
                        b.x[r, s, k] = x
                        xs.append(x)
                    m.add_exactly_one([*xs, ~y])
        b.y.append(ys)
        if ys:
            sched = m.new_bool_var(f"scheduled[{req.id}]")
            m.add_exactly_one([*ys.values(), ~sched])
            b.sched.append(sched)
            b.define(sched, lambda v, vs=list(ys.values()): int(any(v[x.index] for x in vs)))
        else:
            b.sched.append(None)
        if assume_mandatory and req.mandatory:
            b.mandatory_lits[r] = lit = m.new_bool_var(f"assume_mandatory[{req.id}]")
            b.define(lit, lambda v: 1)
    for rule in CONSTRAINT_RULES:
        rule(b)
    if options.break_fairness is not None:
        add_breaks(b)  # a hard rule: part of the model from the start
    implied(b)
    b.delegations = delegations_for_fairness(inst)
    makers = {
        "weight": weight_objective,
        "fairness": fairness_objective,
        "changes": changes_objective,
    }
    for stage in stages:
        if stage in makers:
            b.objectives[stage] = makers[stage](b)
    if b.mandatory_lits:
        m.add_assumptions(list(b.mandatory_lits.values()))
    return b
