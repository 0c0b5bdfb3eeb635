"""An independent validator: re-checks every hard rule from a Solution alone.

Deliberately written without the model code (no import of solver.model / solver.prep):
it works on slots and sets, so a bug in the model's encoding cannot hide here. It also
recomputes the figures the solver reports (weight, fairness share, breaks, changes).

A solution whose status is INFEASIBLE or UNKNOWN does not claim to schedule the mandatory
requests, so a missing mandatory request is only a violation for OPTIMAL / FEASIBLE ones.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field

from .models import Instance, Options, Solution, Status


class InvalidSchedule(RuntimeError):
    """A solver produced a schedule that breaks a hard rule (a bug in one of its engines)."""

    def __init__(self, violations: list[str]) -> None:
        super().__init__("invalid schedule: " + "; ".join(violations[:5]))
        self.violations = violations


class ValidationReport(BaseModel):
    ok: bool
    violations: list[str] = Field(default_factory=list)
    scheduled_weight: int = 0
    min_share: int | None = Field(
        default=None, description="Min over delegations of floor(1000 * scheduled / requested)"
    )
    breaks_total: int = 0
    breaks_by_party: dict[str, int] = Field(default_factory=dict)
    changes: int | None = None


def _slot_layout(inst: Instance) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Per slot: day index and block index; per block: (first slot, end slot)."""
    day_of, block_of, blocks = [], [], []
    for d, day in enumerate(inst.grid.days):
        for block in day.blocks:
            first = len(day_of)
            blocks.append((first, first + block.slots))
            day_of += [d] * block.slots
            block_of += [len(blocks) - 1] * block.slots
    return day_of, block_of, blocks


def validate(
    instance: Instance, solution: Solution, options: Options | None = None
) -> ValidationReport:
    """Check `solution` against every hard rule of `instance`; recompute its figures."""
    inst = instance
    opts = options or inst.options
    v: list[str] = []
    n = inst.grid.n_slots
    day_of, block_of, blocks = _slot_layout(inst)
    block_ids = [b.id for d in inst.grid.days for b in d.blocks]
    reqs = inst.request_by_id
    rooms = inst.room_by_id
    parties = inst.party_by_id

    placed: dict[str, tuple[int, str]] = {}
    for a in solution.assignments:
        if a.request not in reqs:
            v.append(f"unknown request {a.request}")
            continue
        if a.request in placed:
            v.append(f"request {a.request} scheduled more than once")
            continue
        if a.room not in rooms:
            v.append(f"request {a.request}: unknown room {a.room}")
            continue
        placed[a.request] = (a.slot, a.room)

    if solution.status in (Status.OPTIMAL, Status.FEASIBLE):
        for req in inst.requests:
            if req.mandatory and req.id not in placed:
                v.append(f"mandatory request {req.id} is not scheduled")

    party_slots: dict[str, dict[int, str]] = defaultdict(dict)
    room_slots: dict[str, dict[int, str]] = defaultdict(dict)
    for rid, (s, room_id) in placed.items():
        req = reqs[rid]
        end = s + req.duration
        if s < 0 or end > n:
            v.append(f"request {rid}: slots {s}..{end - 1} outside the grid (0..{n - 1})")
            continue
        if block_of[s] != block_of[end - 1]:
            v.append(f"request {rid}: starts at {s} and crosses the end of its block")
        if req.allowed_blocks is not None and block_ids[block_of[s]] not in req.allowed_blocks:
            v.append(f"request {rid}: block {block_ids[block_of[s]]} not allowed")
        if req.allowed_slots is not None and s not in req.allowed_slots:
            v.append(f"request {rid}: start slot {s} not allowed")
        for p in req.parties:
            bad = sorted(set(range(s, end)) & set(parties[p].unavailable))
            if bad:
                v.append(f"request {rid}: party {p} unavailable at slots {bad}")
        room = rooms[room_id]
        if room.capacity is not None and room.capacity < req.attendees:
            v.append(f"request {rid}: room {room_id} holds {room.capacity} < {req.attendees}")
        if room.reserved_for is not None and room.reserved_for not in req.parties:
            v.append(f"request {rid}: room {room_id} is reserved for {room.reserved_for}")
        if req.pin is not None:
            if s != req.pin.slot:
                v.append(f"request {rid}: pinned to slot {req.pin.slot}, scheduled at {s}")
            if req.pin.room is not None and room_id != req.pin.room:
                v.append(f"request {rid}: pinned to room {req.pin.room}, scheduled in {room_id}")
        for t in range(s, end):
            for p in req.parties:
                other = party_slots[p].get(t)
                if other is not None:
                    v.append(f"party {p} in {other} and {rid} at slot {t}")
                party_slots[p][t] = rid
            other = room_slots[room_id].get(t)
            if other is not None:
                v.append(f"room {room_id} holds {other} and {rid} at slot {t}")
            room_slots[room_id][t] = rid

    for rid, (s, _) in placed.items():
        for q in reqs[rid].after:
            if q in placed and placed[q][0] + reqs[q].duration > s:
                v.append(f"request {rid} at {s} must start after {q} ends")

    if opts.sector_keeps_room:
        sector_rooms: dict[str, set[str]] = defaultdict(set)
        for rid, (_, room_id) in placed.items():
            for p in reqs[rid].parties:
                if parties[p].kind == "sector":
                    sector_rooms[p].add(room_id)
        for p, used in sorted(sector_rooms.items()):
            if len(used) > 1:
                v.append(f"sector {p} uses several rooms: {sorted(used)}")

    if opts.home_rooms:
        v.extend(_home_room_violations(inst, {rid: room for rid, (_, room) in placed.items()}))

    # ---- figures
    weight = sum(reqs[rid].weight for rid in placed)
    requested: dict[str, int] = defaultdict(int)
    got: dict[str, int] = defaultdict(int)
    for req in inst.requests:
        for p in req.parties:
            if parties[p].kind == "delegation":
                requested[p] += req.weight
                if req.id in placed:
                    got[p] += req.weight
    shares = [1000 * got[p] // w for p, w in requested.items() if w > 0]
    min_share = min(shares) if shares else None

    which = opts.break_parties
    kinds = {"all": None, "delegations": "delegation", "sectors": "sector"}
    counted = []
    if which != "none":
        with_requests = {p for req in inst.requests for p in req.parties}
        counted = [
            p.id
            for p in inst.parties
            if p.id in with_requests and (kinds[which] is None or p.kind == kinds[which])
        ]
    segment_of = day_of if opts.breaks_span_blocks else block_of
    breaks_by_party: dict[str, int] = {}
    for p in counted:
        busy = sorted(party_slots[p])
        count = 0
        for prev, cur in zip(busy, busy[1:], strict=False):
            if cur > prev + 1 and segment_of[cur] == segment_of[prev]:
                count += 1
        breaks_by_party[p] = count
    if opts.break_fairness is not None:
        active = [b for p, b in breaks_by_party.items() if party_slots[p]]
        if active and max(breaks_by_party.values()) - min(active) > opts.break_fairness:
            v.append(
                f"break fairness: breaks range from {min(active)} to "
                f"{max(breaks_by_party.values())}, more than {opts.break_fairness} apart"
            )

    changes = None
    if opts.previous is not None:
        prev = {a.request: (a.slot, a.room) for a in opts.previous if a.request in reqs}
        if opts.keep_previous:  # earlier meetings moved or dropped, the released ones aside
            released = set(opts.release)
            changes = sum(
                1 for rid, where in prev.items() if rid not in released and placed.get(rid) != where
            )
        else:
            changes = sum(1 for rid, where in prev.items() if placed.get(rid) != where)
            changes += sum(1 for rid in placed if rid not in prev)

    if solution.scheduled_weight != weight and solution.status != Status.INFEASIBLE:
        v.append(f"reported scheduled_weight {solution.scheduled_weight} != actual {weight}")

    return ValidationReport(
        ok=not v,
        violations=v,
        scheduled_weight=weight,
        min_share=min_share,
        breaks_total=sum(breaks_by_party.values()),
        breaks_by_party=breaks_by_party,
        changes=changes,
    )


def _home_room_violations(inst: Instance, placed: dict[str, str]) -> list[str]:
    """`home_rooms`: whether each sector can be given one home room (its given one, if any)
    so that every meeting with a sector is held in the home of one of its sectors. A
    meeting of one sector fixes that sector's home; the meetings of several sectors left
    are then covered by a search over which of their sectors hosts them."""
    kind = {p.id: p.kind for p in inst.parties}
    homes: dict[str, str] = {p.id: p.home_room for p in inst.parties if p.home_room is not None}
    out: list[str] = []
    shared: list[tuple[str, list[str], str]] = []
    for rid, room in sorted(placed.items()):
        sectors = [p for p in inst.request_by_id[rid].parties if kind[p] == "sector"]
        if len(sectors) == 1:
            p = sectors[0]
            if homes.setdefault(p, room) != room:
                out.append(
                    f"request {rid}: sector {p} meets in {room}, its home room is {homes[p]}"
                )
        elif sectors:
            shared.append((rid, sectors, room))
    if out:
        return out

    def cover(i: int) -> bool:
        if i == len(shared):
            return True
        _, sectors, room = shared[i]
        if any(homes.get(p) == room for p in sectors):
            return cover(i + 1)
        for p in sectors:
            if p not in homes:
                homes[p] = room
                if cover(i + 1):
                    return True
                del homes[p]
        return False

    if not cover(0):
        out.append(
            "home rooms: the meetings of several sectors "
            f"({', '.join(rid for rid, _, _ in shared)}) cannot each be in a sector's home room"
        )
    return out
