"""Exact weight stage by min-cost flow, for editions with the MUNI structure.

Applicable when every request is a one-slot meeting of two parties, one of each side of a
bipartition of the parties (delegations / sectors), with no window, pin or precedence, each
party free on whole days only, identical rooms at least as many as the parties of one side
("B"), and no party of the other side ("A") with more requests than the slots of a day.

Then the schedulable sets are exactly those where every B party and day gets at most the
day's slots: an A party never reaches a day's slots, and per day the bipartite multigraph
of the meetings, of maximum degree <= slots, is edge-coloured with `slots` colours (König),
colour = slot; rooms never bind (at most one meeting per B party and slot). So the maximum
scheduled weight is a min-cost flow (request -> (B party, day) -> day capacity), and an
optimal schedule follows by edge colouring. The result is used as the weight stage's hint
and its upper bound (the CP-SAT model stays the general one and checks it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ortools.graph.python import min_cost_flow

from .features import Feature, features
from .models import Options
from .prep import Prepared

# The flow schedules one-slot meetings of two parties by day and colours each day's
# meetings with slots: it knows whole free days, optional and mandatory requests, and
# one set of identical rooms; no other rule.
SUPPORTS = frozenset({Feature.OPTIONAL_REQUESTS, Feature.UNAVAILABILITY})
# The bound relaxes the flow: it drops the rooms, precedences and the A parties' days, and
# each request keeps the days of its candidate starts, so every rule that only removes
# schedules keeps it an upper bound; only the meetings' shape is required.
BOUND_SUPPORTS = frozenset(
    {
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


def flow_schedule(
    prep: Prepared, options: Options | None = None
) -> tuple[int, list[tuple[int, int]]] | None:
    """(maximum scheduled weight, [(request, slot)]) or None when not applicable, solved
    with `options` (default: the instance's)."""
    inst = prep.inst
    if not features(prep, options or inst.options) <= SUPPORTS:
        return None
    if not inst.requests or len(prep.room_chain) != 1:
        return None
    pairs = _pairs(prep)
    if pairs is None or len(inst.rooms) < len({b for _, b in pairs}):
        return None
    days = prep.day_ranges
    day_mask = [sum(1 << t for t in d) for d in days]
    free_days: dict[str, list[int]] = {}
    for p in {p for pair in pairs for p in pair}:
        free = prep.free_mask[p]
        ds = []
        for d, mask in enumerate(day_mask):
            if free & mask == mask:
                ds.append(d)
            elif free & mask:
                return None  # partly free day
        free_days[p] = ds
    count_a: dict[str, int] = defaultdict(int)
    for a, _b in pairs:
        count_a[a] += 1
    min_day = min(len(d) for d in days)
    if any(c > min_day for c in count_a.values()):
        return None
    common: list[list[int]] = []
    for r, (a, b) in enumerate(pairs):
        common.append(sorted(set(free_days[a]) & set(free_days[b])))
        expect = sorted(t for d in common[r] for t in days[d])
        if prep.starts[r] != expect:
            return None  # some other rule removed starts
    chosen = _max_weight_flow(prep, pairs, common, lambda b, d: len(days[d]))
    if chosen is None:
        return None  # the mandatory requests do not fit: leave it to CP-SAT
    by_day: dict[int, list[int]] = defaultdict(list)
    for r, d in chosen.items():
        by_day[d].append(r)
    out: list[tuple[int, int]] = []
    for d, rs in by_day.items():
        edges = [pairs[r] for r in rs]
        colours = _contiguous_colouring(edges, len(days[d])) or _edge_colouring(edges, len(days[d]))
        out.extend((r, days[d].start + c) for r, c in zip(rs, colours, strict=True))
    return sum(inst.requests[r].weight for r in chosen), out


def weight_bound(prep: Prepared, without: int | None = None) -> int | None:
    """An upper bound on the scheduled weight (with every mandatory request, and without
    request `without`, if given), or None when the requests are not one-slot meetings of two
    parties, one of each kind, or the mandatory ones cannot all fit. The same flow as
    flow_schedule, relaxed: each (B party, day) takes at most its free slots that day, a
    request may use the days of its candidate starts, and the A parties' days, the rooms and
    precedences are left out. Exact where flow_schedule applies; a re-plan (solver.solve)
    uses it to prove its hint's weight optimal, and which new requests it must hold."""
    if not features(prep, prep.inst.options) <= BOUND_SUPPORTS:
        return None
    pairs = _pairs(prep)
    if pairs is None:
        return None
    days = prep.day_ranges
    day_of = {t: d for d, rng in enumerate(days) for t in rng}
    common = [
        [] if r == without else sorted({day_of[s] for s in prep.starts[r]})
        for r in range(len(pairs))
    ]

    def free_slots(b: str, d: int) -> int:
        return sum(1 for t in days[d] if prep.free_mask[b] >> t & 1)

    chosen = _max_weight_flow(prep, pairs, common, free_slots)
    return None if chosen is None else sum(prep.inst.requests[r].weight for r in chosen)


def _pairs(prep: Prepared) -> list[tuple[str, str]] | None:
    """(A party, B party) of each request when every request is a one-slot meeting of two
    parties of two kinds, one of each; B is the kind with fewer parties (the sectors)."""
    inst = prep.inst
    kind = {p.id: p.kind for p in inst.parties}
    if any(len(req.parties) != 2 or req.duration != 1 for req in inst.requests):
        return None
    pairs = [(req.parties[0], req.parties[1]) for req in inst.requests]
    if any(kind[a] == kind[b] for a, b in pairs):
        return None
    by_kind: dict[str, set[str]] = defaultdict(set)
    for pair in pairs:
        for p in pair:
            by_kind[kind[p]].add(p)
    if len(by_kind) != 2:
        return None
    side_b = min(by_kind, key=lambda k: (len(by_kind[k]), k))
    return [(a, b) if kind[b] == side_b else (b, a) for a, b in pairs]


def _max_weight_flow(
    prep: Prepared,
    pairs: list[tuple[str, str]],
    days_of: list[list[int]],
    capacity: Callable[[str, int], int],
) -> dict[int, int] | None:
    """Request -> day, for the most mandatory requests and then the most weight, each request
    on one of `days_of[r]` and each (B party, day) with at most `capacity(b, d)` requests
    (a min-cost flow: request -> (B party, day) -> sink); None when the mandatory requests
    do not all fit."""
    inst = prep.inst
    big = 1 + sum(req.weight for req in inst.requests)
    n = len(pairs)
    f = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    node = 2 + n
    bday: dict[tuple[str, int], int] = {}
    arcs: list[tuple[int, int, int]] = []  # (arc, request, day)
    for r, (_a, b) in enumerate(pairs):
        req = inst.requests[r]
        f.add_arc_with_capacity_and_unit_cost(source, 2 + r, 1, 0)
        cost = -(req.weight + (big if req.mandatory else 0))
        for d in days_of[r]:
            if (b, d) not in bday:
                bday[b, d] = node
                f.add_arc_with_capacity_and_unit_cost(node, sink, capacity(b, d), 0)
                node += 1
            arc = f.add_arc_with_capacity_and_unit_cost(2 + r, bday[b, d], 1, cost)
            arcs.append((arc, r, d))
    f.add_arc_with_capacity_and_unit_cost(source, sink, n, 0)
    f.set_node_supply(source, n)
    f.set_node_supply(sink, -n)
    if f.solve() != f.OPTIMAL:
        return None
    chosen = {r: d for arc, r, d in arcs if f.flow(arc)}
    if any(req.mandatory and r not in chosen for r, req in enumerate(inst.requests)):
        return None
    return chosen


def _edge_colouring(edges: list[tuple[str, str]], k: int) -> list[int]:
    """A proper edge colouring of a bipartite multigraph of maximum degree <= k with k
    colours (alternating-path recolouring, König's theorem)."""
    at: dict[tuple[str, int], int] = {}  # (vertex, colour) -> edge
    colour = [-1] * len(edges)
    ends = [(("a", u), ("b", v)) for u, v in edges]
    for e, (u, v) in enumerate(ends):
        a = next(c for c in range(k) if (u, c) not in at)
        b = next(c for c in range(k) if (v, c) not in at)
        if (v, a) in at:
            # swap colours a and b along the path from v alternating a, b, ...
            path = []
            x, c = v, a
            while (x, c) in at:
                f = at[x, c]
                path.append(f)
                fu, fv = ends[f]
                x = fv if fu == x else fu
                c = b if c == a else a
            for f in path:
                for w in ends[f]:
                    if at.get((w, colour[f])) == f:
                        del at[w, colour[f]]
            for f in path:
                colour[f] = b if colour[f] == a else a
                for w in ends[f]:
                    at[w, colour[f]] = f
        colour[e] = a
        at[u, a] = e
        at[v, a] = e
    return colour


def _contiguous_colouring(edges: list[tuple[str, str]], k: int) -> list[int] | None:
    """A heuristic colouring that gives each A party (delegation) consecutive colours
    (slots), so that it has no break: delegations with the most meetings first, each in the
    earliest window of consecutive slots where its B parties can be matched to free slots;
    a delegation that fits no window takes any free slots. None when it gets stuck (the
    caller then uses the exact edge colouring)."""
    by_a: dict[str, list[int]] = defaultdict(list)
    for e, (a, _b) in enumerate(edges):
        by_a[a].append(e)
    taken: dict[str, set[int]] = defaultdict(set)  # B party -> used colours
    colour = [-1] * len(edges)
    for _a, es in sorted(by_a.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        n = len(es)
        match, score = None, -1
        for w in range(k - n + 1):
            m = _match(es, edges, range(w, w + n), taken)
            if m is None:
                continue
            # prefer windows that extend the B parties' runs (fewer breaks on their side)
            sc = sum(
                (c - 1 in taken[edges[e][1]]) + (c + 1 in taken[edges[e][1]]) for e, c in m.items()
            )
            if sc > score:
                match, score = m, sc
        if match is None:
            match = _match(es, edges, range(k), taken)
            if match is None:
                return None
        for e, c in match.items():
            colour[e] = c
            taken[edges[e][1]].add(c)
    return colour


def _match(
    es: list[int], edges: list[tuple[str, str]], slots: range, taken: dict[str, set[int]]
) -> dict[int, int] | None:
    """Every edge of `es` to a distinct slot of `slots` free for its B party (augmenting
    paths), or None."""
    owner: dict[int, int] = {}

    def augment(e: int, seen: set[int]) -> bool:
        b = edges[e][1]
        for c in slots:
            if c in seen or c in taken[b]:
                continue
            seen.add(c)
            if c not in owner or augment(owner[c], seen):
                owner[c] = e
                return True
        return False

    for e in es:
        if not augment(e, set()):
            return None
    return {e: c for c, e in owner.items()}
