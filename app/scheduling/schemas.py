"""API schemas of solve runs: options in, a run with its progress and result out, the
meetings a run planned and the comparison of two runs."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

import solver
from app.scheduling.models import RunMode, RunStatus


class RunOptionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal[RunMode.plan, RunMode.replan] = Field(
        default=RunMode.plan, description="A manual run comes only from moving a meeting"
    )
    time_limit_s: float | None = Field(
        default=None, gt=0, le=3600, description="Capped by ARTICULA_SOLVER_TIME_LIMIT_S"
    )
    fairness: bool = True
    break_fairness: int | None = Field(default=None, ge=0, le=100)
    sector_keeps_room: bool = False
    home_rooms: bool | None = Field(
        default=None,
        description=(
            "Each ministry receives in one home room; a multisector meeting is held in the "
            "home room of one of its ministries. None = the edition's kind: on for GORE, "
            "off for MUNI"
        ),
    )
    release: list[int] = Field(
        default_factory=list,
        max_length=1000,
        description=(
            "Re-plan: request ids of published meetings it may move or drop freely (every "
            "other published meeting that can still be held is kept)"
        ),
    )


class ProgressPoint(BaseModel):
    stage: str
    seconds: float
    objective: float
    bound: float


class StageSummary(BaseModel):
    name: str = Field(description="weight, fairness, breaks or changes")
    status: solver.Status
    objective: float | None
    bound: float | None
    gap: float | None = Field(description="|objective - bound| / max(1, |objective|)")
    seconds: float


class UnscheduledRequest(BaseModel):
    request_id: int = Field(description="The meeting request the run could not place")
    code: str = Field(description="Machine-readable reason, e.g. party_capacity")
    reason: str = Field(description="The solver's reason (English)")
    detail: str = Field(description="The reason as a sentence for the SD team (Spanish)")


class RunResult(BaseModel):
    """What a finished run found (also for a failed one, when the solver answered)."""

    status: solver.Status = Field(description="The solver's status")
    scheduled_weight: int
    breaks: int
    seconds: float
    stages: list[StageSummary]
    conflicts: list[str] = Field(
        description="Infeasible mandatory requests: a small set of conflicting requests / rules"
    )
    unscheduled: list[UnscheduledRequest]


class PlannedMeetingPublic(BaseModel):
    request_id: int
    room_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


class RunOptions(BaseModel):
    """The options a run was started with, the service's limits applied."""

    time_limit_s: float | None = None
    workers: int | None = None
    fairness: bool = True
    break_fairness: int | None = None
    sector_keeps_room: bool = False
    home_rooms: bool = False
    release: list[int] = Field(default_factory=list)
    seed: int = 0
    previous: list[PlannedMeetingPublic] | None = Field(
        default=None, description="Re-plan: the published meetings the run starts from"
    )
    base_run_id: int | None = Field(
        default=None, description="Manual run: the run whose schedule the SD adjusted"
    )
    note: str | None = Field(default=None, description="Manual run: the change, in Spanish")


class SolveRunPublic(BaseModel):
    id: int
    edition_id: int
    status: RunStatus
    mode: RunMode
    options: RunOptions
    progress: list[ProgressPoint]
    result: RunResult | None
    error: str | None
    cancel_requested: bool
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    attempts: int


class RunMeetingPublic(BaseModel):
    request_id: int
    delegation: str
    sectors: list[str]
    room_id: int
    room: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class MeetingMove(BaseModel):
    request_id: int
    from_room_id: int
    from_starts_at: dt.datetime
    to_room_id: int
    to_starts_at: dt.datetime


class RunScore(BaseModel):
    run_id: int
    status: RunStatus
    solution_status: str | None
    scheduled: int
    scheduled_weight: int | None
    unscheduled: int
    stages: dict[str, float | None]


class RunComparison(BaseModel):
    run: RunScore
    other: RunScore
    added: list[int] = Field(description="Requests scheduled in the other run only")
    dropped: list[int] = Field(description="Requests scheduled in this run only")
    moved: list[MeetingMove]
    unchanged: int


class MoveIn(BaseModel):
    """Move one meeting of a run (or place one the run left out)."""

    model_config = ConfigDict(extra="forbid")

    request_id: int = Field(ge=1)
    day: dt.date = Field(description="Local date of the new start")
    start: str = Field(pattern=r"^\d{2}:\d{2}$", description="Local start time, HH:MM")
    room_id: int = Field(ge=1)
    dry_run: bool = Field(default=False, description="Only check; save nothing")


class MoveOutcome(BaseModel):
    legal: bool
    conflicts: list[str] = Field(description="Why the move breaks a hard rule (Spanish)")
    run: SolveRunPublic | None = Field(description="The new manual run (null for a dry run)")
