"""Small, solver-independent measurements on an Instance and a list of assignments.

Used to cross-check every solver (CP-SAT, greedy, HiGHS) with the same break definition as the
product: a break is a maximal run of idle slots between two meetings of the same party on the same
day; with `breaks_span_blocks` a run across a block boundary of that day counts too.
"""

from __future__ import annotations

from collections.abc import Iterable

from solver.models import Assignment, Instance, Party


def counted_parties(instance: Instance) -> list[Party]:
    mode = instance.options.break_parties
    if mode == "none":
        return []
    if mode == "all":
        return list(instance.parties)
    kind = "delegation" if mode == "delegations" else "sector"
    return [p for p in instance.parties if p.kind == kind]


def busy_slots(instance: Instance, assignments: Iterable[Assignment]) -> dict[str, set[int]]:
    busy: dict[str, set[int]] = {p.id: set() for p in instance.parties}
    for a in assignments:
        req = instance.request_by_id[a.request]
        for t in range(a.slot, a.slot + req.duration):
            for p in req.parties:
                busy[p].add(t)
    return busy


def breaks_by_party(instance: Instance, assignments: Iterable[Assignment]) -> dict[str, int]:
    info = instance.grid.slot_info
    span = instance.options.breaks_span_blocks
    busy = busy_slots(instance, assignments)
    out: dict[str, int] = {}
    for party in counted_parties(instance):
        slots = sorted(busy[party.id])
        n = 0
        for x, y in zip(slots, slots[1:], strict=False):
            if y == x + 1 or info[x].day_index != info[y].day_index:
                continue
            if not span and info[x].block != info[y].block:
                continue
            n += 1
        out[party.id] = n
    return out


def total_breaks(instance: Instance, assignments: Iterable[Assignment]) -> int:
    return sum(breaks_by_party(instance, assignments).values())


def scheduled_weight(instance: Instance, assignments: Iterable[Assignment]) -> int:
    return sum(instance.request_by_id[a.request].weight for a in assignments)


def requested_weight(instance: Instance) -> int:
    return sum(r.weight for r in instance.requests)


def idle_slots(instance: Instance, assignments: Iterable[Assignment]) -> int:
    """Idle slots inside each counted party's span of each day (first to last meeting)."""
    info = instance.grid.slot_info
    busy = busy_slots(instance, assignments)
    total = 0
    for party in counted_parties(instance):
        by_day: dict[int, list[int]] = {}
        for t in busy[party.id]:
            by_day.setdefault(info[t].day_index, []).append(t)
        total += sum(max(ts) - min(ts) + 1 - len(ts) for ts in by_day.values())
    return total
