"""The shape a schedule takes between solve runs and published schedule versions.

A solve run's result and a published schedule are both lists of `PlannedMeeting`: a run
stores them as JSON, a publication snapshots them as a schedule version, and a re-plan
feeds the published ones back to the solver as the previous solution.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PlannedMeeting:
    """One scheduled bilateral: which request, in which room, when (timezone-aware)."""

    request_id: int
    room_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in a run's `assignments` and a re-plan's `previous`."""
        return {
            "request_id": self.request_id,
            "room_id": self.room_id,
            "starts_at": self.starts_at.astimezone(dt.UTC).isoformat(),
            "ends_at": self.ends_at.astimezone(dt.UTC).isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlannedMeeting:
        return cls(
            request_id=data["request_id"],
            room_id=data["room_id"],
            starts_at=dt.datetime.fromisoformat(data["starts_at"]),
            ends_at=dt.datetime.fromisoformat(data["ends_at"]),
        )
