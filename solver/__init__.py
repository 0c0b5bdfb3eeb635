"""Articula's scheduler: a pure library (OR-Tools CP-SAT, pydantic, stdlib).

solve(instance, options=None, progress=None) -> Solution   # lexicographic CP-SAT
validate(instance, solution) -> ValidationReport           # independent re-check
greedy(instance) -> Solution                                # by-hand baseline
"""

from .greedy import greedy
from .models import (
    REPLAN_STAGES,
    Assignment,
    Block,
    Day,
    Instance,
    MeetingRequest,
    Options,
    Party,
    Pin,
    ProgressCallback,
    ProgressEvent,
    Room,
    Solution,
    StageResult,
    Status,
    TimeGrid,
    Unscheduled,
)
from .solve import solve
from .validate import ValidationReport, validate

__all__ = [
    "REPLAN_STAGES",
    "Assignment",
    "Block",
    "Day",
    "Instance",
    "MeetingRequest",
    "Options",
    "Party",
    "Pin",
    "ProgressCallback",
    "ProgressEvent",
    "Room",
    "Solution",
    "StageResult",
    "Status",
    "TimeGrid",
    "Unscheduled",
    "ValidationReport",
    "greedy",
    "solve",
    "validate",
]
