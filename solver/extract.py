"""From a solution vector to the schedule: assignments, rooms and the breaks they make."""

from __future__ import annotations

from .model import Built, counted_parties
from .models import Assignment, Options
from .prep import Prepared


def placements(b: Built, values: list[int]) -> dict[int, int]:
    """Scheduled request -> start slot, from a solution vector."""
    out: dict[int, int] = {}
    for r, ys in enumerate(b.y):
        for s, y in ys.items():
            if values[y.index]:
                out[r] = s
                break
    return out


def extract(b: Built, values: list[int]) -> list[Assignment]:
    """Assignments from a solution vector; pooled rooms are assigned by start time."""
    inst = b.inst
    grid = inst.grid
    chosen: list[tuple[int, int, int | None]] = []  # (request, start, room)
    for r, s in sorted(placements(b, values).items()):
        room = None
        if not b.prep.pooled:
            room = next(k for k in b.prep.rooms[r] if values[b.x[r, s, k].index])
        chosen.append((r, s, room))
    if b.prep.pooled and b.prep.homes is not None:
        chosen = home_rooms(b.prep, chosen)
    elif b.prep.pooled:
        chosen = assign_pooled_rooms(b.prep, chosen)
    return [
        Assignment(
            request=inst.requests[r].id,
            slot=s,
            room=inst.rooms[k].id,
            day=grid.slot_info[s].day,
        )
        for r, s, k in sorted(chosen, key=lambda c: (c[1], c[0]))
    ]


def home_rooms(
    prep: Prepared, chosen: list[tuple[int, int, int | None]]
) -> list[tuple[int, int, int]]:
    """Each meeting in the room its sectors' homes give it (prep.home_of_requests)."""
    return [(r, s, prep.home_of[r]) for r, s, _ in chosen]


def assign_pooled_rooms(
    prep: Prepared, chosen: list[tuple[int, int, int | None]]
) -> list[tuple[int, int, int]]:
    """Rooms by start time, most restricted meetings first (see prep.room_chain).

    A re-planned meeting that keeps its slot gets its old room back unless a more
    restricted meeting in that slot needs it; the others take such rooms last.
    """
    inst = prep.inst
    prev = {a.request: a for a in inst.options.previous or []}
    room_index = {room.id: k for k, room in enumerate(inst.rooms)}
    free_at = [0] * len(inst.rooms)  # first slot at which the room is free again
    out: list[tuple[int, int, int]] = []

    def old_room(r: int, s: int) -> int | None:
        a = prev.get(inst.requests[r].id)
        if a is None or a.slot != s or room_index[a.room] not in prep.rooms[r]:
            return None
        return room_index[a.room]

    order = sorted(
        chosen, key=lambda c: (c[1], prep.room_class[c[0]], old_room(c[0], c[1]) is None, c[0])
    )
    # (slot, room) that a meeting keeping its slot would like back: others take them last
    wanted = {(s, k) for r, s, _ in chosen if (k := old_room(r, s)) is not None}
    for r, s, _ in order:
        k = old_room(r, s)
        if k is None or free_at[k] > s:
            free = [k for k in prep.rooms[r] if free_at[k] <= s]
            k = next((k for k in free if (s, k) not in wanted), free[0])
        free_at[k] = s + inst.requests[r].duration
        out.append((r, s, k))
    return out


def count_breaks(prep: Prepared, options: Options, assignments: list[Assignment]) -> int:
    """Total breaks of the counted parties (same definition as the model)."""
    counted = set(counted_parties(prep, options.break_parties))
    busy: dict[str, set[int]] = {p: set() for p in counted}
    for a in assignments:
        req = prep.inst.request_by_id[a.request]
        for p in req.parties:
            if p in counted:
                busy[p].update(range(a.slot, a.slot + req.duration))
    total = 0
    for slots in busy.values():
        for seg in prep.segments(options.breaks_span_blocks):
            runs = sum(1 for t in seg if t in slots and (t == seg.start or t - 1 not in slots))
            total += max(0, runs - 1)
    return total
