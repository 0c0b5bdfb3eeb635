"""Crowded-interval cuts: implied constraints of the breaks stage (see `crowded_intervals`)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..prep import Prepared
from .built import Built


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
    ones in I are at most cap(I) (:func:`slot_capacities`); each cut is added where the
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
        caps = slot_capacities(b, seg)
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
    # seats hold that much for every party get no cut (most of them in large editions)
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


def slot_capacities(b: Built, seg: range) -> dict[str | None, dict[int, int]]:
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
