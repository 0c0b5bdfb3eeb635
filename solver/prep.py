"""Pre-computation shared by the CP-SAT model, the greedy baseline and the explanations.

Every hard rule that only concerns ONE request (contiguity, allowed windows,
availability, pins, room capacity, room reservation, pinned room) is applied here, as a
filter on the request's candidate start slots and rooms, so the model never creates a
variable for a combination that breaks one of them. Start sets are Python integers used
as bit masks over the global slot indices (bit ``s`` set = start ``s`` allowed), which
makes the filters a handful of big-integer operations per request instead of a Python
loop per (request, slot, room).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

from .models import Instance, MeetingRequest, Room

# ----------------------------------------------------------------- start filters (one rule each)


def contiguity(prep: Prepared, req: MeetingRequest) -> int:
    """Starts whose `duration` consecutive slots stay inside one block."""
    return prep.fit_mask(req.duration)


def allowed_windows(prep: Prepared, req: MeetingRequest) -> int:
    """Starts inside `allowed_blocks` and listed in `allowed_slots` (None = no limit)."""
    mask = prep.full_mask
    if req.allowed_blocks is not None:
        mask &= reduce(lambda a, b: a | b, (prep.block_mask[b] for b in req.allowed_blocks), 0)
    if req.allowed_slots is not None:
        mask &= reduce(lambda a, s: a | (1 << s), req.allowed_slots, 0)
    return mask


def availability(prep: Prepared, req: MeetingRequest) -> int:
    """Starts where every party is free during the whole meeting."""
    free = prep.common_free(req.parties)
    return prep.run_starts(free, req.duration)


def pins(prep: Prepared, req: MeetingRequest) -> int:
    """A pinned request may only start at its pinned slot."""
    return prep.full_mask if req.pin is None else 1 << req.pin.slot


START_FILTERS: tuple[Callable[[Prepared, MeetingRequest], int], ...] = (
    contiguity,
    allowed_windows,
    availability,
    pins,
)

# ----------------------------------------------------------------- room filters (one rule each)


def room_capacity(req: MeetingRequest, room: Room) -> bool:
    """The room holds the request's attendees (capacity None = no limit)."""
    return room.capacity is None or room.capacity >= req.attendees


def room_reservation(req: MeetingRequest, room: Room) -> bool:
    """A reserved room only takes meetings of the party it is reserved for."""
    return room.reserved_for is None or room.reserved_for in req.parties


def pinned_room(req: MeetingRequest, room: Room) -> bool:
    """A request pinned to a room may only use that room."""
    return req.pin is None or req.pin.room is None or req.pin.room == room.id


ROOM_FILTERS: tuple[Callable[[MeetingRequest, Room], bool], ...] = (
    room_capacity,
    room_reservation,
    pinned_room,
)


def fixed_homes(inst: Instance, prep: Prepared) -> dict[str, int] | None:
    """Under `home_rooms`, a home room per sector, no two sectors sharing one, that fits
    every request of the sector alone (its given `home_room` if any) and, for each
    multisector request, the home of one of its sectors; None when there is none (or a
    request has no sector or is pinned to a room). With such homes the rule constrains no
    time: a meeting held in its sector's own home never meets another one there (that
    would put the sector in two meetings at once), so the schedule is solved with pooled
    rooms and each meeting goes to its sector's home (extract.py). Homes follow the earlier
    plan where they can (the room each sector used most), so a kept meeting keeps its room.
    """
    allowed, used, own = _allowed_homes(inst, prep)
    live = list(own)
    if any(not own[r] or (inst.requests[r].pin and inst.requests[r].pin.room) for r in live):
        return None
    homes = _match_homes(allowed, used)
    if homes is None or any(all(homes[p] not in prep.rooms[r] for p in own[r]) for r in live):
        return None
    return homes


def _allowed_homes(inst: Instance, prep: Prepared) -> tuple[dict[str, set[int]], dict, dict]:
    """Per sector, the rooms that fit every request of it alone (and its given home room);
    per sector, how often the earlier plan used each room; per live request, its sectors."""
    n_rooms = len(inst.rooms)
    kind = {p.id: p.kind for p in inst.parties}
    live = [r for r in range(len(inst.requests)) if prep.starts[r] and prep.rooms[r]]
    own = {r: [p for p in inst.requests[r].parties if kind[p] == "sector"] for r in live}
    allowed: dict[str, set[int]] = {}
    for r in live:
        for p in own[r]:
            allowed.setdefault(p, set(range(n_rooms)))
        if len(own[r]) == 1:
            allowed[own[r][0]] &= set(prep.rooms[r])
    room_index = {room.id: k for k, room in enumerate(inst.rooms)}
    for party in inst.parties:
        if party.home_room is not None and party.id in allowed:
            allowed[party.id] &= {room_index[party.home_room]}
    used: dict[str, dict[int, int]] = {}
    for a in inst.options.previous or []:
        req = inst.request_by_id.get(a.request)
        sectors = [p for p in req.parties if kind[p] == "sector"] if req is not None else []
        if len(sectors) == 1:
            count = used.setdefault(sectors[0], {})
            count[room_index[a.room]] = count.get(room_index[a.room], 0) + 1
    return allowed, used, own


def _match_homes(
    allowed: dict[str, set[int]], used: dict[str, dict[int, int]]
) -> dict[str, int] | None:
    """A room per sector among its allowed ones, no two sharing one, the earlier plan's
    rooms first (Kuhn's augmenting paths); None when there is none."""
    holder: dict[int, str] = {}

    def place(p: str, seen: set[int]) -> bool:  # an augmenting path (Kuhn's matching)
        order = sorted(allowed[p], key=lambda k: (-used.get(p, {}).get(k, 0), k))
        for k in order:
            if k in seen:
                continue
            seen.add(k)
            if k not in holder or place(holder[k], seen):
                holder[k] = p
                return True
        return False

    for p in sorted(allowed, key=lambda q: (len(allowed[q]), q)):
        if not place(p, set()):
            return None
    return {p: k for k, p in holder.items()}


def share_homes(inst: Instance, prep: Prepared) -> dict[str, int] | None:
    """Under `home_rooms` without a home room of its own per sector: each sector's home,
    sharing rooms where there are too few that fit; None when a sector's requests share no
    room. The sectors with the most meeting slots get rooms of their own (augmenting paths
    tried in that order keep every sector already placed, so the sectors left over are the
    least loaded ones a maximum matching can leave out); each sector left over joins the
    room of least load among those that fit it. Each meeting of several sectors makes one
    of them its host, whose home must fit it too; the rooms are tried smallest first, so
    that large rooms stay for the sectors whose meetings need them."""
    allowed, used, own = _allowed_homes(inst, prep)
    if any(not rooms for rooms in allowed.values()):
        return None
    load = {p: sum(inst.requests[r].duration for r in own if p in own[r]) for p in allowed}
    for r, sectors in own.items():
        if len(sectors) < 2 or any(allowed[p] <= set(prep.rooms[r]) for p in sectors):
            continue
        host = max(sectors, key=lambda p: (len(allowed[p] & set(prep.rooms[r])), -load[p]))
        if allowed[host] & set(prep.rooms[r]):
            allowed[host] &= set(prep.rooms[r])
    cap = [room.capacity or 10**9 for room in inst.rooms]

    def order(p: str, k: int) -> tuple[int, int, int]:
        return (-used.get(p, {}).get(k, 0), cap[k], k)

    holder: dict[int, str] = {}

    def place(p: str, seen: set[int]) -> bool:  # an augmenting path (Kuhn's matching)
        for k in sorted(allowed[p], key=lambda k: order(p, k)):
            if k in seen:
                continue
            seen.add(k)
            if k not in holder or place(holder[k], seen):
                holder[k] = p
                return True
        return False

    left = [p for p in sorted(allowed, key=lambda q: (-load[q], q)) if not place(p, set())]
    homes = {p: k for k, p in holder.items()}
    room_load = {k: load[p] for p, k in homes.items()}
    for p in sorted(left, key=lambda q: (-load[q], q)):
        k = min(allowed[p], key=lambda k: (room_load.get(k, 0), k))
        homes[p] = k
        room_load[k] = room_load.get(k, 0) + load[p]
    return homes


def restrict_to_homes(inst: Instance, prep: Prepared, homes: dict[str, int]) -> None:
    """Keep each request's rooms to the homes of its sectors (a request none of whose
    homes fits keeps its rooms): the model's rule then works on one or two rooms per
    request instead of every room, a far smaller model; the model still chooses the homes
    among them."""
    _, _, own = _allowed_homes(inst, prep)
    for r, sectors in own.items():
        fit = [k for k in prep.rooms[r] if any(homes[p] == k for p in sectors)]
        if fit:
            prep.rooms[r] = fit


def home_of_requests(
    inst: Instance, prep: Prepared, homes: dict[str, int]
) -> dict[int, int] | None:
    """The room of each live request under fixed homes: the home of one of its sectors
    that fits it, a home no other sector shares first (a meeting there binds no one but
    its own sectors), else the home shared with the fewest meeting slots. None when a
    request has no sector, is pinned to a room, or fits none of its sectors' homes."""
    _, _, own = _allowed_homes(inst, prep)
    sharing: dict[int, int] = {}
    for k in homes.values():
        sharing[k] = sharing.get(k, 0) + 1
    room_load: dict[int, int] = {}
    for r, sectors in own.items():
        if len(sectors) == 1:
            k = homes[sectors[0]]
            room_load[k] = room_load.get(k, 0) + inst.requests[r].duration
    home_of: dict[int, int] = {}
    for r, sectors in own.items():
        pin = inst.requests[r].pin
        fit = [homes[p] for p in sectors if homes[p] in prep.rooms[r]]
        if not fit or (pin is not None and pin.room is not None):
            return None
        home_of[r] = min(fit, key=lambda k: (sharing[k] > 1, room_load.get(k, 0)))
    return home_of


def with_room_parties(
    inst: Instance, homes: dict[str, int], home_of: dict[int, int]
) -> tuple[Instance, list[str]]:
    """The instance with a virtual party per room that is home to several sectors, taking
    part in every meeting held there: one meeting per room and slot becomes the virtual
    party's no-overlap, so rooms can stay pooled (a room home to one sector needs none: each
    meeting held there has that sector). The virtual parties' ids (kind "other", always
    free, no breaks counted)."""
    sectors_in: dict[int, int] = {}
    for k in homes.values():
        sectors_in[k] = sectors_in.get(k, 0) + 1
    taken = {p.id for p in inst.parties}
    virtual: dict[int, str] = {}
    for k in sorted(k for k, n in sectors_in.items() if n > 1):
        vid = f"room-{k}"
        while vid in taken:
            vid += "'"
        taken.add(vid)
        virtual[k] = vid
    if not virtual:
        return inst, []
    parties = [p.model_dump() for p in inst.parties] + [
        {"id": vid, "kind": "other", "name": f"sala {inst.rooms[k].id}"}
        for k, vid in virtual.items()
    ]
    requests = [req.model_dump() for req in inst.requests]
    for r, k in home_of.items():
        if k in virtual:
            requests[r]["parties"] = [*requests[r]["parties"], virtual[k]]
    data = inst.model_dump() | {"parties": parties, "requests": requests}
    return Instance.model_validate(data), list(virtual.values())


def home_rooms_of(inst: Instance, placed: dict[str, str]) -> dict[str, str] | None:
    """The home room of each sector under `options.home_rooms`, from placements {request:
    room}: the given `home_room`, else the room of its meetings without another sector;
    a meeting of several sectors held in none of their homes makes the first of them
    without a home its host. None when the placements break the rule this way (the
    validator's own check is exact; this one serves hints, the greedy and explanations)."""
    parties = inst.party_by_id
    homes = {p.id: p.home_room for p in inst.parties if p.home_room is not None}
    shared: list[tuple[list[str], str]] = []
    for rid, room in placed.items():
        sectors = [p for p in inst.request_by_id[rid].parties if parties[p].kind == "sector"]
        if len(sectors) == 1:
            if homes.setdefault(sectors[0], room) != room:
                return None
        elif sectors:
            shared.append((sectors, room))
    for sectors, room in shared:
        if any(homes.get(p) == room for p in sectors):
            continue
        host = next((p for p in sectors if p not in homes), None)
        if host is None:
            return None
        homes[host] = room
    return homes


def bits(mask: int) -> list[int]:
    """The set bits of a mask, in increasing order."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


@dataclass
class Prepared:
    """The instance with candidate starts and rooms of every request."""

    inst: Instance
    n: int = 0
    full_mask: int = 0
    slot_day: list[int] = field(default_factory=list)
    slot_block: list[int] = field(default_factory=list)
    block_range: list[range] = field(default_factory=list)
    block_mask: dict[str, int] = field(default_factory=dict)
    day_ranges: list[range] = field(default_factory=list)
    free_mask: dict[str, int] = field(default_factory=dict)
    starts: list[list[int]] = field(default_factory=list)
    rooms: list[list[int]] = field(default_factory=list)
    pooled: bool = False
    room_chain: list[frozenset[int]] = field(default_factory=list)
    room_class: list[int] = field(default_factory=list)  # index in room_chain, -1 if none
    # `home_rooms` with rooms pooled: each sector's home room, its own (fixed_homes) or
    # shared (share_homes); the rooms of a schedule follow from it (home_of_requests), so
    # the model has no home-room variable
    homes: dict[str, int] | None = None
    home_of: dict[int, int] = field(default_factory=dict)  # with `homes`: each request's room
    # shared homes: `inst` is the instance with a virtual party per shared room
    # (with_room_parties), these are their ids (no breaks counted)
    virtual: list[str] = field(default_factory=list)
    given: Instance | None = None  # the instance as given (`inst` without virtual parties)
    _fit: dict[int, int] = field(default_factory=dict)

    # -- helpers
    def fit_mask(self, duration: int) -> int:
        if duration not in self._fit:
            mask = 0
            for rng in self.block_range:
                for s in range(rng.start, rng.stop - duration + 1):
                    mask |= 1 << s
            self._fit[duration] = mask
        return self._fit[duration]

    def common_free(self, parties: list[str]) -> int:
        return reduce(lambda a, p: a & self.free_mask[p], parties, self.full_mask)

    @staticmethod
    def run_starts(free: int, duration: int) -> int:
        out = free
        for k in range(1, duration):
            out &= free >> k
        return out

    @property
    def room_caps(self) -> list[int]:
        """Pooled rooms: per class j of room_chain, the rooms open to the meetings of the
        classes <= j (the last class: every room)."""
        return [len(rooms) for rooms in self.room_chain[:-1]] + [len(self.inst.rooms)]

    def segments(self, span_blocks: bool) -> list[range]:
        """Slot ranges inside which breaks are counted: days, or blocks."""
        return self.day_ranges if span_blocks else self.block_range


def prepare(inst: Instance) -> Prepared:
    """Candidate starts and rooms for every request (after every single-request rule)."""
    grid = inst.grid
    prep = Prepared(inst=inst)
    prep.n = grid.n_slots
    prep.full_mask = (1 << prep.n) - 1
    start = 0
    for d_index, day in enumerate(grid.days):
        day_start = start
        for block in day.blocks:
            rng = range(start, start + block.slots)
            b_index = len(prep.block_range)
            prep.block_range.append(rng)
            prep.block_mask[block.id] = ((1 << block.slots) - 1) << start
            prep.slot_day.extend([d_index] * block.slots)
            prep.slot_block.extend([b_index] * block.slots)
            start += block.slots
        prep.day_ranges.append(range(day_start, start))
    for party in inst.parties:
        busy = reduce(lambda a, s: a | (1 << s), party.unavailable, 0)
        prep.free_mask[party.id] = prep.full_mask & ~busy
    for req in inst.requests:
        mask = prep.full_mask
        for rule in START_FILTERS:
            mask &= rule(prep, req)
        prep.starts.append(bits(mask))
        prep.rooms.append(
            [k for k, room in enumerate(inst.rooms) if all(f(req, room) for f in ROOM_FILTERS)]
        )
    if inst.options.home_rooms:
        _home_rooms(inst, prep)
    chain = room_chain(prep.inst, prep)
    if chain is None:
        prep.homes = None  # the room variables carry the rule (model/rules.py: home_rooms)
    prep.pooled = chain is not None
    prep.room_chain = chain or []
    prep.room_class = [
        next((j for j, rooms in enumerate(prep.room_chain) if set(rs) == rooms), -1)
        for rs in prep.rooms
    ]
    return prep


def _home_rooms(inst: Instance, prep: Prepared) -> None:
    """Under `home_rooms`: fixed homes, each sector's own (`fixed_homes`), or shared ones
    (`share_homes`) written as virtual parties (`with_room_parties`) when every request's
    room then follows from them and rooms can be pooled; else the shared homes only narrow
    each request's rooms and the model's room variables carry the rule."""
    prep.homes = fixed_homes(inst, prep)
    shared = prep.homes is None
    homes = prep.homes or share_homes(inst, prep)
    home_of = home_of_requests(inst, prep, homes) if homes is not None else None
    if home_of is None:
        prep.homes = None
        if homes is not None:
            restrict_to_homes(inst, prep, homes)
        return
    prep.homes, prep.home_of = homes, home_of
    if not shared:
        return
    if room_chain(inst, prep) is None:  # explicit rooms: the model's rule instead
        prep.homes, prep.home_of = None, {}
        restrict_to_homes(inst, prep, homes)
        return
    prep.given = inst
    prep.inst, prep.virtual = with_room_parties(inst, homes, home_of)
    for vid in prep.virtual:
        prep.free_mask[vid] = prep.full_mask


def room_chain(inst: Instance, prep: Prepared) -> list[frozenset[int]] | None:
    """The distinct fitting-room sets of the requests, if they can be pooled; else None.

    Pooling replaces the room of each meeting by counting constraints. It is exact when
    the fitting-room sets form a chain S_1 < S_2 < ... (identical rooms give one set;
    capacity classes, or a room reserved for one party, give nested sets): per slot,
    Hall's condition for nested sets is "meetings whose set is inside S_j <= |S_j|" for
    every j, and rooms are then assigned by a greedy pass, most restricted meetings first.
    With one set, meetings of any duration are an interval graph (they never cross a
    block), so assigning rooms by start time always succeeds; with several sets we require
    one-slot meetings. When re-planning, a meeting that keeps its slot gets its old room
    back where it can (extract.assign_pooled_rooms), so the pooled model counts slot
    changes. It cannot when a more restricted meeting moved into that slot needs the room;
    the validator then counts one change more than the stage reported. With meetings longer
    than a slot the explicit room model is used.
    `sector_keeps_room` always needs the explicit room model, and so does `home_rooms` unless
    every sector can have a home room of its own (`fixed_homes`).
    """
    o = inst.options
    if o.sector_keeps_room or (o.home_rooms and prep.homes is None):
        return None
    sets = sorted({frozenset(rooms) for rooms in prep.rooms if rooms}, key=len)
    if any(not a < b for a, b in zip(sets, sets[1:], strict=False)):
        return None
    long_meetings = any(r.duration != 1 for r in inst.requests)
    if len(sets) > 1 and long_meetings:
        return None
    if o.previous is not None and long_meetings:
        return None
    return sets
