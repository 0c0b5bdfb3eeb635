"""The shape a schedule takes between scheduling (solve runs) and publication (agendas).

A solve run's result and a published schedule are both lists of `PlannedMeeting`: the
scheduling package produces them from a run, the agendas package stores and publishes
them, and a re-plan feeds the published ones back to the solver as the previous solution.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlannedMeeting:
    """One scheduled bilateral: which request, in which room, when (timezone-aware)."""

    request_id: int
    room_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
