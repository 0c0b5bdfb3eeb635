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

from .prep import Prepared


def flow_schedule(prep: Prepared) -> tuple[int, list[tuple[int, int]]] | None:
    """(maximum scheduled weight, [(request, slot)]) or None when not applicable."""
    inst = prep.inst
    o = inst.options
    if not inst.requests or not prep.pooled or len(prep.room_chain) != 1:
        return None
    if o.previous is not None or o.sector_keeps_room:
        return None
    kind = {p.id: p.kind for p in inst.parties}
    days = prep.day_ranges
    day_mask = [sum(1 << t for t in d) for d in days]
    sides: list[tuple[str, str]] = []
    for req in inst.requests:
        if len(req.parties) != 2 or req.duration != 1 or req.after or req.pin:
            return None
        if req.allowed_slots is not None or req.allowed_blocks is not None:
            return None
        sides.append((req.parties[0], req.parties[1]))
    kinds = {kind[a] for a, _ in sides} | {kind[b] for _, b in sides}
    if len(kinds) != 2:
        return None
    # B = the side with fewer parties (sectors); every request has one party per side
    by_kind: dict[str, set[str]] = defaultdict(set)
    for a, b in sides:
        if kind[a] == kind[b]:
            return None
        by_kind[kind[a]].add(a)
        by_kind[kind[b]].add(b)
    k_a, k_b = sorted(kinds, key=lambda k: -len(by_kind[k]))
    if len(inst.rooms) < len(by_kind[k_b]):
        return None
    free_days: dict[str, list[int]] = {}
    for p in by_kind[k_a] | by_kind[k_b]:
        free = prep.free_mask[p]
        ds = []
        for d, mask in enumerate(day_mask):
            if free & mask == mask:
                ds.append(d)
            elif free & mask:
                return None  # partly free day
        free_days[p] = ds
    count_a: dict[str, int] = defaultdict(int)
    pairs: list[tuple[str, str]] = []
    for a, b in sides:
        if kind[a] != k_a:
            a, b = b, a
        pairs.append((a, b))
        count_a[a] += 1
    min_day = min(len(d) for d in days)
    if any(c > min_day for c in count_a.values()):
        return None
    for r, (a, b) in enumerate(pairs):
        common = sorted(set(free_days[a]) & set(free_days[b]))
        expect = sorted(t for d in common for t in days[d])
        if prep.starts[r] != expect:
            return None  # some other rule removed starts
    return _solve_flow(prep, pairs, free_days)


def weight_bound(prep: Prepared) -> int | None:
    """An upper bound on the scheduled weight (with every mandatory request), or None when
    the requests are not one-slot meetings of two parties, one of each kind, or the mandatory
    ones cannot all fit. The same flow as flow_schedule, relaxed: each (B party, day) takes
    at most its free slots that day, a request may use the days of its candidate starts, and
    the A parties' days, the rooms and precedences are left out. Exact where flow_schedule
    applies; a re-plan (solver.solve) uses it to prove its hint's weight optimal."""
    inst = prep.inst
    kind = {p.id: p.kind for p in inst.parties}
    pairs: list[tuple[str, str]] = []
    for req in inst.requests:
        if len(req.parties) != 2 or req.duration != 1:
            return None
        pairs.append((req.parties[0], req.parties[1]))
    kinds = {kind[p] for pair in pairs for p in pair}
    if len(kinds) != 2 or any(kind[a] == kind[b] for a, b in pairs):
        return None
    side_b = min(kinds, key=lambda k: (len({p for pr in pairs for p in pr if kind[p] == k}), k))
    pairs = [(a, b) if kind[b] == side_b else (b, a) for a, b in pairs]
    from ortools.graph.python import min_cost_flow

    days = prep.day_ranges
    big = 1 + sum(req.weight for req in inst.requests)
    f = min_cost_flow.SimpleMinCostFlow()
    source, sink, node = 0, 1, 2 + len(pairs)
    bday: dict[tuple[str, int], int] = {}
    for r, (_a, b) in enumerate(pairs):
        req = inst.requests[r]
        f.add_arc_with_capacity_and_unit_cost(source, 2 + r, 1, 0)
        cost = -(req.weight + (big if req.mandatory else 0))
        for d in sorted({d for s in prep.starts[r] for d, rng in enumerate(days) if s in rng}):
            if (b, d) not in bday:
                bday[b, d] = node
                free = sum(1 for t in days[d] if prep.free_mask[b] >> t & 1)
                f.add_arc_with_capacity_and_unit_cost(node, sink, free, 0)
                node += 1
            f.add_arc_with_capacity_and_unit_cost(2 + r, bday[b, d], 1, cost)
    f.add_arc_with_capacity_and_unit_cost(source, sink, len(pairs), 0)
    f.set_node_supply(source, len(pairs))
    f.set_node_supply(sink, -len(pairs))
    if f.solve() != f.OPTIMAL:
        return None
    mandatory = sum(1 for req in inst.requests if req.mandatory)
    total = -f.optimal_cost()
    if total // big < mandatory:
        return None  # the mandatory requests do not all fit
    return total - mandatory * big


def _solve_flow(
    prep: Prepared, pairs: list[tuple[str, str]], free_days: dict[str, list[int]]
) -> tuple[int, list[tuple[int, int]]] | None:
    from ortools.graph.python import min_cost_flow

    inst = prep.inst
    days = prep.day_ranges
    big = 1 + sum(req.weight for req in inst.requests)
    n = len(pairs)
    f = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    node = 2 + n
    bday: dict[tuple[str, int], int] = {}
    arcs: list[tuple[int, int, int]] = []  # (arc, request, day)
    for r, (a, b) in enumerate(pairs):
        req = inst.requests[r]
        f.add_arc_with_capacity_and_unit_cost(source, 2 + r, 1, 0)
        cost = -(req.weight + (big if req.mandatory else 0))
        for d in sorted(set(free_days[a]) & set(free_days[b])):
            if (b, d) not in bday:
                bday[b, d] = node
                f.add_arc_with_capacity_and_unit_cost(node, sink, len(days[d]), 0)
                node += 1
            arc = f.add_arc_with_capacity_and_unit_cost(2 + r, bday[b, d], 1, cost)
            arcs.append((arc, r, d))
    f.add_arc_with_capacity_and_unit_cost(source, sink, n, 0)
    f.set_node_supply(source, n)
    f.set_node_supply(sink, -n)
    if f.solve() != f.OPTIMAL:
        return None
    chosen: dict[int, list[int]] = defaultdict(list)  # day -> requests
    for arc, r, d in arcs:
        if f.flow(arc):
            chosen[d].append(r)
    placed = {r for rs in chosen.values() for r in rs}
    if any(req.mandatory and r not in placed for r, req in enumerate(inst.requests)):
        return None  # the mandatory requests do not fit: leave it to CP-SAT
    out: list[tuple[int, int]] = []
    for d, rs in chosen.items():
        edges = [pairs[r] for r in rs]
        colours = _contiguous_colouring(edges, len(days[d])) or _edge_colouring(edges, len(days[d]))
        out.extend((r, days[d].start + c) for r, c in zip(rs, colours, strict=True))
    weight = sum(inst.requests[r].weight for r in placed)
    return weight, out


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
