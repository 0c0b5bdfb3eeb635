"""The solver's data contract: a validated instance in, a solution out.

Plain data only (pydantic); no web or database imports. Slots are numbered globally
from 0 across every block of every day, in order, so a slot index alone says when a
meeting happens; `TimeGrid.slot_info` maps an index back to its day and block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """pydantic's copy, without the `cached_property` values derived from the old fields
        (pydantic copies the instance dict, caches included): a copy with `update` recomputes
        its lookups from its own fields."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            for klass in type(self).__mro__:
                for name, attr in vars(klass).items():
                    if isinstance(attr, cached_property):
                        copy.__dict__.pop(name, None)
        return copy


# --------------------------------------------------------------------------- grid


class Block(_Strict):
    """Consecutive slots of one day open for meetings; blocks are separated by breaks."""

    id: str = Field(min_length=1, max_length=64)
    slots: int = Field(ge=1, le=500, description="Number of consecutive slots in the block")
    tag: str | None = Field(default=None, max_length=64, description="e.g. 'morning'")
    start: str | None = Field(
        default=None, pattern=r"^\d{2}:\d{2}$", description="Local start time, HH:MM"
    )


class Day(_Strict):
    id: str = Field(min_length=1, max_length=64, description="Usually the ISO date")
    blocks: list[Block] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class SlotInfo:
    index: int
    day: str
    day_index: int
    block: str
    block_tag: str | None
    position: int  # position inside its block, from 0


class TimeGrid(_Strict):
    slot_minutes: int = Field(default=20, ge=1, le=480)
    days: list[Day] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> TimeGrid:
        day_ids = [d.id for d in self.days]
        if len(set(day_ids)) != len(day_ids):
            raise ValueError("day ids must be unique")
        block_ids = [b.id for d in self.days for b in d.blocks]
        if len(set(block_ids)) != len(block_ids):
            raise ValueError("block ids must be unique across the grid")
        return self

    @cached_property
    def slot_info(self) -> list[SlotInfo]:
        out: list[SlotInfo] = []
        for day_index, day in enumerate(self.days):
            for block in day.blocks:
                for position in range(block.slots):
                    out.append(SlotInfo(len(out), day.id, day_index, block.id, block.tag, position))
        return out

    @property
    def n_slots(self) -> int:
        return len(self.slot_info)

    def block_slots(self, block_id: str) -> range:
        start = 0
        for day in self.days:
            for block in day.blocks:
                if block.id == block_id:
                    return range(start, start + block.slots)
                start += block.slots
        raise KeyError(block_id)


# --------------------------------------------------------------------------- entities


class Room(_Strict):
    id: str = Field(min_length=1, max_length=64)
    capacity: int | None = Field(default=None, ge=1, description="None means no limit")
    reserved_for: str | None = Field(
        default=None, description="Party id: only meetings that include it may use the room"
    )


PartyKind = Literal["delegation", "sector", "other"]


class Party(_Strict):
    id: str = Field(min_length=1, max_length=64)
    kind: PartyKind = "other"
    name: str | None = Field(default=None, max_length=300)
    unavailable: list[int] = Field(default_factory=list, description="Global slot indices")
    home_room: str | None = Field(
        default=None,
        description="A sector's given home room (with `options.home_rooms`); None = chosen",
    )


class Pin(_Strict):
    slot: int = Field(ge=0, description="Global start slot")
    room: str | None = None


class MeetingRequest(_Strict):
    id: str = Field(min_length=1, max_length=64)
    parties: list[str] = Field(min_length=2, description="Party ids that meet (2 or more)")
    weight: int = Field(default=1, ge=0, le=1_000_000)
    mandatory: bool = False
    duration: int = Field(default=1, ge=1, le=48, description="Contiguous slots, in one block")
    allowed_blocks: list[str] | None = Field(
        default=None, description="Block ids the meeting may use; None = any"
    )
    allowed_slots: list[int] | None = Field(
        default=None, description="Global start slots allowed; None = any"
    )
    attendees: int = Field(default=0, ge=0, description="People in the room; must fit capacity")
    pin: Pin | None = None
    after: list[str] = Field(
        default_factory=list, description="Request ids that must end before this one starts"
    )


class Assignment(_Strict):
    request: str
    slot: int = Field(ge=0, description="Global start slot")
    room: str
    day: str | None = Field(default=None, description="Filled in by the solver, informative")


StageName = Literal["keep", "weight", "fairness", "breaks", "changes"]

# A re-plan (after a cancellation, a minister called away...) with `keep_previous`: keep
# every earlier meeting that can still be held, move as few as possible, then add new
# requests where room is left, and only then fairness and breaks.
REPLAN_STAGES: list[StageName] = ["keep", "changes", "weight", "fairness", "breaks"]


class Options(_Strict):
    stages: list[StageName] | None = Field(
        default=None,
        description=(
            "Lexicographic order of the objective stages. None = weight, fairness, breaks "
            "(and changes before or after breaks when `previous` is given)."
        ),
    )
    fairness: bool = Field(
        default=True, description="Stage 2: raise the worst delegation's scheduled share"
    )
    break_parties: Literal["all", "delegations", "sectors", "none"] = "all"
    break_fairness: int | None = Field(
        default=None,
        ge=0,
        description="Hard: breaks(p) - min_q breaks(q) <= this, over counted parties",
    )
    breaks_span_blocks: bool = Field(
        default=True,
        description="An idle run across a block boundary of the same day counts as a break",
    )
    sector_keeps_room: bool = False
    home_rooms: bool = Field(
        default=False,
        description=(
            "Each sector has one home room (its `home_room`, or chosen): every meeting is "
            "held in the home room of one of its sectors"
        ),
    )
    previous: list[Assignment] | None = None
    keep_previous: bool = Field(
        default=True,
        description=(
            "With `previous`: keep the most earlier meetings possible (stage `keep`), then "
            "move the fewest (`changes`, new requests not counted), then add new requests"
        ),
    )
    release: list[str] = Field(
        default_factory=list,
        description="Request ids of `previous` that a re-plan may move or drop freely",
    )
    changes_before_breaks: bool = False
    time_limit_s: float = Field(default=10.0, gt=0, le=3600)
    workers: int = Field(default=2, ge=1, le=64)
    seed: int = Field(default=0, ge=0)

    @property
    def keeps_previous(self) -> bool:
        """A re-plan by the keeping rules: `previous` given and `keep_previous`."""
        return self.previous is not None and self.keep_previous

    def kept(self) -> dict[str, Assignment]:
        """The earlier meetings a re-plan keeps where it can: `previous` minus `release`
        (empty unless `keeps_previous`)."""
        if not self.keeps_previous:
            return {}
        released = set(self.release)
        return {a.request: a for a in self.previous or [] if a.request not in released}


class Instance(_Strict):
    """A whole scheduling problem; validated so the model code can simply iterate."""

    name: str = Field(default="instance", max_length=200)
    grid: TimeGrid
    rooms: list[Room] = Field(min_length=1)
    parties: list[Party]
    requests: list[MeetingRequest]
    options: Options = Field(default_factory=Options)

    @model_validator(mode="after")
    def _references(self) -> Instance:
        n = self.grid.n_slots
        party_ids = [p.id for p in self.parties]
        _unique("party", party_ids)
        room_ids = [r.id for r in self.rooms]
        _unique("room", room_ids)
        request_ids = [r.id for r in self.requests]
        _unique("request", request_ids)
        parties, rooms, requests = set(party_ids), set(room_ids), set(request_ids)
        block_ids = {b.id for d in self.grid.days for b in d.blocks}
        for room in self.rooms:
            if room.reserved_for is not None and room.reserved_for not in parties:
                raise ValueError(f"room {room.id}: unknown party {room.reserved_for!r}")
        for party in self.parties:
            bad = [s for s in party.unavailable if not 0 <= s < n]
            if bad:
                raise ValueError(f"party {party.id}: slots {bad} outside the grid (0..{n - 1})")
        for req in self.requests:
            if len(set(req.parties)) != len(req.parties):
                raise ValueError(f"request {req.id}: a party is listed twice")
            unknown = [p for p in req.parties if p not in parties]
            if unknown:
                raise ValueError(f"request {req.id}: unknown parties {unknown}")
            if req.allowed_blocks is not None:
                bad_blocks = [b for b in req.allowed_blocks if b not in block_ids]
                if bad_blocks:
                    raise ValueError(f"request {req.id}: unknown blocks {bad_blocks}")
            if req.allowed_slots is not None:
                bad = [s for s in req.allowed_slots if not 0 <= s < n]
                if bad:
                    raise ValueError(f"request {req.id}: slots {bad} outside the grid")
            if req.pin is not None:
                if req.pin.slot >= n:
                    raise ValueError(f"request {req.id}: pinned slot outside the grid")
                if req.pin.room is not None and req.pin.room not in rooms:
                    raise ValueError(f"request {req.id}: pinned to unknown room")
            unknown_after = [r for r in req.after if r not in requests or r == req.id]
            if unknown_after:
                raise ValueError(f"request {req.id}: unknown or self precedence {unknown_after}")
        for party in self.parties:
            if party.home_room is not None and party.home_room not in rooms:
                raise ValueError(f"party {party.id}: unknown home room {party.home_room!r}")
        if self.options.previous is not None:
            for a in self.options.previous:
                if a.room not in rooms or a.slot >= n:
                    raise ValueError(f"previous assignment of {a.request}: bad room or slot")
        return self

    @cached_property
    def party_by_id(self) -> dict[str, Party]:
        return {p.id: p for p in self.parties}

    @cached_property
    def room_by_id(self) -> dict[str, Room]:
        return {r.id: r for r in self.rooms}

    @cached_property
    def request_by_id(self) -> dict[str, MeetingRequest]:
        return {r.id: r for r in self.requests}


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} id {i!r}")
        seen.add(i)


# --------------------------------------------------------------------------- result


class Status(StrEnum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"
    MODEL_INVALID = "MODEL_INVALID"


class StageResult(_Strict):
    name: StageName
    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = Field(default=None, description="|objective - bound| / max(1, |objective|)")
    seconds: float = 0.0
    sense: Literal["max", "min"] = "max"


class Unscheduled(_Strict):
    request: str
    code: str = Field(description="Machine-readable reason, e.g. 'party_capacity'")
    reason: str = Field(description="A sentence a person understands")


class Solution(_Strict):
    instance: str
    status: Status
    assignments: list[Assignment] = Field(default_factory=list)
    unscheduled: list[Unscheduled] = Field(default_factory=list)
    stages: list[StageResult] = Field(default_factory=list)
    conflicts: list[str] = Field(
        default_factory=list,
        description="For infeasible mandatory requests: a small set of conflicting requests/rules",
    )
    scheduled_weight: int = 0
    breaks: int = 0
    seconds: float = 0.0
    solver: str = "cp-sat"


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    stage: StageName
    seconds: float
    objective: float
    bound: float


ProgressCallback = Callable[[ProgressEvent], None]
