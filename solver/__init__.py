"""Articula's scheduler: a pure library (OR-Tools CP-SAT, pydantic, stdlib).

solve(instance, options=None, progress=None) -> Solution   # lexicographic CP-SAT
validate(instance, solution) -> ValidationReport           # independent re-check
greedy(instance) -> Solution                                # by-hand baseline

Layout: models.py (the data contract), prep.py (candidate starts and rooms), model/ (the
CP-SAT model, one module per rule family), solve.py (the stage driver), starts.py and
replan.py (the first stage's start), breaks/ (the breaks stage), extract.py (from a
solution vector to assignments), conflicts.py and explain.py (why requests are not
scheduled), features.py (what each side engine supports), flow.py and greedy.py (the
side engines outside the breaks stage), validate.py (the independent validator).
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
from .validate import InvalidSchedule, ValidationReport, validate

__all__ = [
    "REPLAN_STAGES",
    "Assignment",
    "Block",
    "Day",
    "Instance",
    "InvalidSchedule",
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
