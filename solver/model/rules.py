"""The hard rules on the variables, one function each (the rules that concern one request
alone are filters in solver/prep.py), and the implied constraints that strengthen them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from ..prep import ROOM_FILTERS, START_FILTERS, home_rooms_of
from .built import Built


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


def home_rooms(b: Built) -> None:
    """With `options.home_rooms`, each sector has one home room (`home[p, k]`, at most one
    per sector; only its `home_room` when given) and every meeting with a sector is held
    in the home room of one of its sectors: a meeting of one sector in its home, a
    meeting of several in the home of one of them (the others walk over). Sectors may
    share a home room; meetings without a sector go to any room. With a home of its own
    per sector (`prep.homes`, rooms pooled) nothing is added: rooms follow from the homes."""
    if not b.options.home_rooms or b.prep.homes is not None:
        return
    inst = b.inst
    sectors = {p.id for p in inst.parties if p.kind == "sector"}
    given = {p.id: p.home_room for p in inst.parties if p.home_room is not None}
    room_index = {room.id: k for k, room in enumerate(inst.rooms)}
    home: dict[tuple[str, int], cp_model.IntVar] = {}
    for p in sorted(sectors):
        if p in given:
            candidates = {room_index[given[p]]}
        else:
            candidates = {k for r in b.party_requests[p] for k in b.prep.rooms[r]}
        for k in sorted(candidates):
            home[p, k] = b.model.new_bool_var(f"home[{p},{inst.rooms[k].id}]")
    by_sector: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for (p, _k), var in home.items():
        by_sector[p].append(var)
    for vars_ in by_sector.values():
        if len(vars_) > 1:
            b.model.add_at_most_one(vars_)
    for (r, _s, k), var in b.x.items():
        own = [p for p in inst.requests[r].parties if p in sectors]
        if own:
            b.model.add_bool_or([~var, *(home[p, k] for p in own if (p, k) in home)])
    # Defined from the placements (home_rooms_of); the first definition computes every
    # sector's home and the others read it: definitions run in order on one vector.
    homes: dict[str, str] = {}

    def compute(v: list[int]) -> None:
        placed = {
            inst.requests[r].id: inst.rooms[k].id for (r, _s, k), x in b.x.items() if v[x.index]
        }
        homes.clear()
        homes.update(home_rooms_of(inst, placed) or {})

    for i, ((p, k), var) in enumerate(home.items()):

        def value(v: list[int], p: str = p, k: int = k, first: bool = i == 0) -> int:
            if first:
                compute(v)
            return int(homes.get(p) == inst.rooms[k].id)

        b.define(var, value)


def implied(b: Built) -> None:
    """Redundant constraints that strengthen propagation and the LP: per party, its
    scheduled meeting-slots equal its busy slots and fit in the slots its meetings can
    cover; per slot, the busy parties equal the parties of the meetings covering it."""
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


# The hard rules, in one list. The first seven are single-request filters applied while
# creating the variables (solver/prep.py); the others are constraints on the variables.
CONSTRAINT_RULES: tuple[Callable[[Built], None], ...] = (
    mandatory,
    no_party_overlap,
    no_room_overlap,
    precedences,
    sector_keeps_room,
    home_rooms,
)
HARD_RULES: tuple[Callable, ...] = (
    *START_FILTERS,  # contiguity, allowed_windows, availability, pins
    *ROOM_FILTERS,  # room_capacity, room_reservation, pinned_room
    *CONSTRAINT_RULES,
)
