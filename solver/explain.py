"""Why a request is not in the schedule: a machine code and an English sentence.

Static reasons (found before solving, from the request alone) come first, in this order:

* ``no_room``: no room fits its attendees / reservations;
* ``pin_conflict``: its pinned room does not fit, or its pinned slot is not a valid start
  (outside its windows, crossing a block end, a party unavailable);
* ``window_closed``: its allowed blocks / slots (and duration) leave no start time;
* ``no_common_slot``: inside its windows its parties share no free run of `duration` slots.

A re-plan's earlier meeting (`options.kept()`) that is not kept gets ``previous_dropped``
before any other code: which party is unavailable at its earlier time, from when to when
(clock times where the blocks give a start), and that no other start time is free for its
parties ("MINSA is unavailable from 10:00 to 12:00 and no other start time is free for
CUSCO and MINSA"); or that its earlier room no longer fits.

Otherwise the request had candidate starts and the reason comes from the meetings that
were scheduled. For each candidate start we look at what blocks it: a party already in a
meeting, every fitting room taken, or a scheduled predecessor / successor (precedence).

* ``precedence``: some start is free of party and room conflicts, but breaks an `after` rule;
* ``home_room``: (`home_rooms`) some start has its parties free and a fitting room free,
  but never the home room of one of its sectors;
* ``party_capacity``: every start is blocked for one of its parties by meetings of higher
  or equal weight (the party with the most blocked starts is named);
* ``room_capacity``: every start is blocked by such meetings, in some by rooms;
* ``optimisation``: the fallback (a free start exists but a fairness / break rule or a
  later stage kept it out, or it was dropped for several lighter requests of higher
  total weight).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from .models import Assignment, Unscheduled
from .prep import (
    ROOM_FILTERS,
    Prepared,
    allowed_windows,
    availability,
    contiguity,
    home_rooms_of,
    room_capacity,
    room_reservation,
)


def _names(prep: Prepared, parties: list[str]) -> str:
    names = [prep.inst.party_by_id[p].name or p for p in parties]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def static_reason(prep: Prepared, r: int) -> tuple[str, str] | None:
    """The reason a request can never be scheduled, or None if it has candidates."""
    inst = prep.inst
    req = inst.requests[r]
    fit = [room for room in inst.rooms if room_capacity(req, room) and room_reservation(req, room)]
    if not fit:
        biggest = max((room.capacity or 0) for room in inst.rooms)
        if all(room.capacity is not None for room in inst.rooms) and biggest < req.attendees:
            return "no_room", f"no room holds {req.attendees} people (the largest holds {biggest})"
        return "no_room", f"no room fits {req.attendees} people among the rooms open to it"
    if req.pin is not None and req.pin.room is not None:
        if req.pin.room not in {room.id for room in fit}:
            return "pin_conflict", f"pinned to room {req.pin.room}, which cannot take it"
    window = contiguity(prep, req) & allowed_windows(prep, req)
    free = availability(prep, req)
    if req.pin is not None:
        s = req.pin.slot
        if not window >> s & 1:
            return "pin_conflict", f"pinned to slot {s}, outside its allowed time windows"
        if not free >> s & 1:
            busy = [p for p in req.parties if not _free_run(prep, p, s, req.duration)]
            return "pin_conflict", f"pinned to slot {s}, when {_names(prep, busy)} is unavailable"
    if not window:
        return "window_closed", (
            f"its allowed blocks and slots leave no start time for a {req.duration}-slot meeting"
        )
    if not window & free:
        return "no_common_slot", (
            f"{_names(prep, req.parties)} share no free time"
            + (f" of {req.duration} consecutive slots" if req.duration > 1 else " slot")
            + " in its allowed windows"
        )
    if not prep.starts[r] or not prep.rooms[r]:  # pragma: no cover - covered above
        return "no_common_slot", "no start time satisfies every rule of this request"
    return None


def clock(prep: Prepared, t: int) -> str:
    """The start time of slot t ("10:20"), or "slot t" when its block has no start time."""
    info = prep.inst.grid.slot_info[t]
    block = next(b for d in prep.inst.grid.days for b in d.blocks if b.id == info.block)
    if block.start is None:
        return f"slot {t}"
    hours, minutes = map(int, block.start.split(":"))
    at = hours * 60 + minutes + info.position * prep.inst.grid.slot_minutes
    return f"{at // 60:02d}:{at % 60:02d}"


def _end_clock(prep: Prepared, t: int) -> str:
    """The end time of slot t."""
    if t + 1 < prep.n and prep.slot_block[t + 1] == prep.slot_block[t]:
        return clock(prep, t + 1)
    start = clock(prep, t)
    if start.startswith("slot"):
        return f"slot {t + 1}"
    hours, minutes = map(int, start.split(":"))
    at = hours * 60 + minutes + prep.inst.grid.slot_minutes
    return f"{at // 60:02d}:{at % 60:02d}"


def dropped_reason(prep: Prepared, r: int, slot: int, room: str) -> str:
    """Why an earlier meeting (at `slot`, in `room`) is not kept by a re-plan."""
    inst = prep.inst
    req = inst.requests[r]
    span = range(slot, slot + req.duration)
    away = [p for p in req.parties if any(not prep.free_mask[p] >> t & 1 for t in span)]
    rest = (
        "it has no other start time"
        if not prep.starts[r] or not prep.rooms[r]
        else f"no other start time is free for {_names(prep, req.parties)}"
    )
    if away:
        p = away[0]
        first = next(t for t in span if not prep.free_mask[p] >> t & 1)
        low, high = first, first
        while low - 1 >= 0 and prep.slot_block[low - 1] == prep.slot_block[first]:
            if prep.free_mask[p] >> (low - 1) & 1:
                break
            low -= 1
        while high + 1 < prep.n and prep.slot_block[high + 1] == prep.slot_block[first]:
            if prep.free_mask[p] >> (high + 1) & 1:
                break
            high += 1
        return (
            f"{_names(prep, [p])} is unavailable from {clock(prep, low)} to "
            f"{_end_clock(prep, high)} and {rest}"
        )
    if inst.room_by_id[room] not in [inst.rooms[k] for k in prep.rooms[r]]:
        return f"its earlier room {room} no longer fits it and {rest}"
    return f"its earlier time conflicts with meetings kept in place and {rest}"


def _free_run(prep: Prepared, p: str, s: int, d: int) -> bool:
    return all(prep.free_mask[p] >> t & 1 for t in range(s, s + d))


def explain_unscheduled(prep: Prepared, assignments: list[Assignment]) -> list[Unscheduled]:
    """One reason for every request missing from `assignments`; a shared home room is
    named as such, not as the virtual party the solver gives it (prep.with_room_parties)."""
    if prep.given is not None:
        prep = replace(prep, inst=prep.given, virtual=[], given=None)
    inst = prep.inst
    placed = {a.request: a for a in assignments}
    party_busy: dict[tuple[str, int], str] = {}
    room_busy: dict[tuple[str, int], str] = {}
    sector_room: dict[str, str] = {}
    sectors = {p.id for p in inst.parties if p.kind == "sector"}
    homes = (
        home_rooms_of(inst, {a.request: a.room for a in assignments}) or {}
        if inst.options.home_rooms
        else None
    )
    for a in assignments:
        req = inst.request_by_id[a.request]
        for t in range(a.slot, a.slot + req.duration):
            room_busy[a.room, t] = a.request
            for p in req.parties:
                party_busy[p, t] = a.request
        for p in req.parties:
            if p in sectors:
                sector_room[p] = a.room
    successors: dict[str, list[str]] = defaultdict(list)
    for req in inst.requests:
        for q in req.after:
            successors[q].append(req.id)

    kept = inst.options.kept()
    out: list[Unscheduled] = []
    for r, req in enumerate(inst.requests):
        if req.id in placed:
            continue
        if req.id in kept:
            reason = dropped_reason(prep, r, kept[req.id].slot, kept[req.id].room)
            out.append(Unscheduled(request=req.id, code="previous_dropped", reason=reason))
            continue
        static = static_reason(prep, r)
        if static is not None:
            out.append(Unscheduled(request=req.id, code=static[0], reason=static[1]))
            continue
        code, reason = _dynamic(
            prep, r, placed, party_busy, room_busy, sector_room, sectors, successors, homes
        )
        out.append(Unscheduled(request=req.id, code=code, reason=reason))
    return out


def _dynamic(
    prep: Prepared,
    r: int,
    placed: dict[str, Assignment],
    party_busy: dict[tuple[str, int], str],
    room_busy: dict[tuple[str, int], str],
    sector_room: dict[str, str],
    sectors: set[str],
    successors: dict[str, list[str]],
    homes: dict[str, str] | None = None,
) -> tuple[str, str]:
    """The reason request r, which has candidate starts, is not in the schedule (see the
    module docstring); `homes`: the sectors' home rooms under `home_rooms`."""
    inst = prep.inst
    req = inst.requests[r]
    by_id = inst.request_by_id
    own = [p for p in req.parties if p in sectors]

    def at_home(room: str) -> bool:
        return homes is None or not own or any(homes.get(p, room) == room for p in own)

    home_only = False
    # under home rooms, every room that fits (prep.share_homes may have kept only homes)
    fitting = (
        prep.rooms[r]
        if homes is None
        else [k for k, room in enumerate(inst.rooms) if all(f(req, room) for f in ROOM_FILTERS)]
    )

    def heavy(other: str) -> bool:
        o = by_id[other]
        return o.mandatory or o.weight >= req.weight

    party_blocks: dict[str, int] = defaultdict(int)
    all_party_heavy = True
    all_heavy = True
    precedence_only: list[str] = []
    free_start = False
    for s in prep.starts[r]:
        span = range(s, s + req.duration)
        blockers_by_party = {
            p: {party_busy[p, t] for t in span if (p, t) in party_busy} for p in req.parties
        }
        party_hit = [p for p, bl in blockers_by_party.items() if bl]
        rooms_open = [
            k
            for k in fitting
            if not any((inst.rooms[k].id, t) in room_busy for t in span)
            and all(
                sector_room.get(p, inst.rooms[k].id) == inst.rooms[k].id
                for p in req.parties
                if p in sectors
            )
        ]
        rooms_ok = [k for k in rooms_open if at_home(inst.rooms[k].id)]
        if not party_hit and rooms_open and not rooms_ok:
            home_only = True
        room_blockers = {
            room_busy[inst.rooms[k].id, t]
            for k in prep.rooms[r]
            for t in span
            if (inst.rooms[k].id, t) in room_busy
        }
        prec = [q for q in req.after if q in placed and placed[q].slot + by_id[q].duration > s]
        prec += [q for q in successors[req.id] if q in placed and placed[q].slot < s + req.duration]
        for p in party_hit:
            party_blocks[p] += 1
        heavy_party = any(all(heavy(o) for o in blockers_by_party[p]) for p in party_hit)
        heavy_room = not rooms_ok and room_blockers and all(heavy(o) for o in room_blockers)
        if not party_hit and rooms_ok:
            if prec:
                precedence_only.extend(prec)
            else:
                free_start = True
        if not heavy_party:
            all_party_heavy = False
            if not heavy_room:
                all_heavy = False

    if free_start:
        if req.weight == 0:
            return "optimisation", "has weight 0, so scheduling it would not add weight"
        if prep.inst.options.break_fairness is not None:
            return "optimisation", (
                "a free start exists, but using it would break the break-fairness limit "
                "or the objectives of the stages after weight"
            )
        return "optimisation", "dropped to schedule requests of higher total weight"
    if home_only:
        return "home_room", (
            f"whenever {_names(prep, req.parties)} are free, the home room of "
            f"{_names(prep, own)} is taken"
        )
    if precedence_only:
        names = sorted(set(precedence_only))
        return "precedence", (
            "every start left free would break the order with "
            + ", ".join(names)
            + " (it must come after its predecessors and before its successors)"
        )
    if all_party_heavy and party_blocks:
        p = max(party_blocks, key=lambda q: (party_blocks[q], q))
        free_slots = bin(prep.free_mask[p]).count("1")
        n_heavy = sum(
            1
            for o in inst.requests
            if p in o.parties and o.id != req.id and (o.mandatory or o.weight >= req.weight)
        )
        return "party_capacity", (
            f"{_names(prep, [p])} has {free_slots} free slots and {n_heavy} requests of "
            "higher or equal weight, which take every start time this request could use"
        )
    if all_heavy:
        return "room_capacity", (
            "at every start time its parties could use, the rooms are taken by meetings "
            "of higher or equal weight"
        )
    return "optimisation", "dropped to schedule requests of higher total weight"
