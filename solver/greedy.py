"""The greedy baseline: what a person does by hand.

Requests in order mandatory first, then weight (descending), then input order; each goes
to the first (start slot, room) in time order that respects every hard rule given the
meetings already placed (rooms tried smallest capacity first, so big rooms stay free for
big meetings). Nothing is ever moved back, so it can miss mandatory requests: then the
status is INFEASIBLE (this greedy found no schedule with all of them; the assignments
still respect every other rule), otherwise FEASIBLE. `break_fairness` is not enforced
(the greedy does not look at breaks), so compare it with CP-SAT on weight.
"""

from __future__ import annotations

import time

from .explain import explain_unscheduled
from .extract import count_breaks
from .features import Feature
from .models import Assignment, Instance, Solution, Status
from .prep import Prepared, prepare

# Every rule but break fairness, which it ignores (solver/starts.py checks it).
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
        Feature.HOME_ROOMS,
        Feature.REPLAN,
    }
)


def greedy(instance: Instance) -> Solution:
    """Place requests one by one at their first free (slot, room)."""
    t0 = time.perf_counter()
    inst = instance
    prep = prepare(inst)
    opts = inst.options
    chosen = place(prep)
    where = {inst.requests[r].id for r, _, _ in chosen}
    assignments = [
        Assignment(
            request=inst.requests[r].id,
            slot=s,
            room=inst.rooms[k].id,
            day=inst.grid.slot_info[s].day,
        )
        for r, s, k in sorted(chosen, key=lambda c: (c[1], c[0]))
    ]
    missing = any(req.mandatory and req.id not in where for req in inst.requests)
    return Solution(
        instance=inst.name,
        status=Status.INFEASIBLE if missing else Status.FEASIBLE,
        assignments=assignments,
        unscheduled=explain_unscheduled(prep, assignments),
        scheduled_weight=sum(inst.requests[r].weight for r, _, _ in chosen),
        breaks=count_breaks(prep, opts, assignments),
        seconds=time.perf_counter() - t0,
        solver="greedy",
    )


def place(prep: Prepared) -> list[tuple[int, int, int]]:
    """The greedy placements (request index, start, room index); also a CP-SAT hint.

    When re-planning (`options.previous`), each meeting of the earlier plan first keeps its
    (slot, room) where that is still allowed and free, as a person re-planning by hand
    would; the other requests are then placed greedily around them."""
    inst = prep.inst
    opts = inst.options
    sectors = {p.id for p in inst.parties if p.kind == "sector"}
    party_busy: set[tuple[str, int]] = set()
    room_busy: set[tuple[int, int]] = set()
    sector_room: dict[str, int] = {}
    # home_rooms: each sector's home room (given, or the room of its first meeting)
    room_index = {room.id: k for k, room in enumerate(inst.rooms)}
    home: dict[str, int] = {
        p.id: room_index[p.home_room] for p in inst.parties if p.home_room is not None
    } | (prep.homes or {})
    where: dict[str, tuple[int, int]] = {}  # request id -> (start, end)
    successors: dict[str, list[str]] = {}
    for req in inst.requests:
        for q in req.after:
            successors.setdefault(q, []).append(req.id)

    def parties_free(r: int, s: int) -> bool:
        """Every party free and every precedence kept if request r starts at s."""
        req = inst.requests[r]
        end = s + req.duration
        return (
            not any((p, t) in party_busy for p in req.parties for t in range(s, end))
            and not any(q in where and where[q][1] > s for q in req.after)
            and not any(q in where and where[q][0] < end for q in successors.get(req.id, []))
        )

    def room_free(r: int, s: int, room: int) -> bool:
        req = inst.requests[r]
        own = [p for p in req.parties if p in sectors]
        return (
            not any((room, t) in room_busy for t in range(s, s + req.duration))
            and (not opts.sector_keeps_room or all(sector_room.get(p, room) == room for p in own))
            and (not opts.home_rooms or not own or any(home.get(p, room) == room for p in own))
        )

    def room_order(r: int) -> list[int]:
        """Smallest fitting room first; with home rooms, the rooms that are nobody's home
        yet before the others, so that each sector gets a room of its own; with fixed homes
        (prep.homes), the request's room (prep.home_of)."""
        if prep.homes is not None and r in prep.home_of:
            return [prep.home_of[r]]
        taken = set(home.values())
        return sorted(
            prep.rooms[r],
            key=lambda k: (
                opts.home_rooms and k in taken,
                inst.rooms[k].capacity or 10**9,
                k,
            ),
        )

    chosen: list[tuple[int, int, int]] = []

    def put(r: int, s: int, room: int) -> None:
        req = inst.requests[r]
        for t in range(s, s + req.duration):
            room_busy.add((room, t))
            for p in req.parties:
                party_busy.add((p, t))
        if opts.sector_keeps_room:
            for p in req.parties:
                if p in sectors:
                    sector_room[p] = room
        own = [p for p in req.parties if p in sectors]
        if opts.home_rooms and own and not any(home.get(p) == room for p in own):
            home[next(p for p in own if p not in home)] = room
        where[req.id] = (s, s + req.duration)
        chosen.append((r, s, room))

    request_index = {req.id: r for r, req in enumerate(inst.requests)}
    for a in opts.previous or []:
        r = request_index.get(a.request)
        if r is None or a.request in where:
            continue
        room = room_index[a.room]
        if a.slot not in prep.starts[r] or room not in prep.rooms[r]:
            continue  # no longer allowed (a party's new unavailability, a smaller room...)
        if parties_free(r, a.slot) and room_free(r, a.slot, room):
            put(r, a.slot, room)

    order = sorted(
        range(len(inst.requests)),
        key=lambda r: (not inst.requests[r].mandatory, -inst.requests[r].weight, r),
    )
    for r in order:
        if inst.requests[r].id in where:
            continue
        rooms = room_order(r)
        for s in prep.starts[r]:
            if not parties_free(r, s):
                continue
            room = next((k for k in rooms if room_free(r, s, k)), None)
            if room is not None:
                put(r, s, room)
                break

    return chosen
