"""The dates an edition's dashboard counts down to, on the edition's own clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.editions.models import Edition

AGENDA_DELIVERY_TIME = dt.time(8, 0)  # agendas go out at 08:00 local time


@dataclass(frozen=True)
class Timeline:
    submissions_open_at: dt.datetime | None
    submissions_close_at: dt.datetime | None
    delivery_opens_at: dt.datetime | None  # agenda_days_before_max days before day 1, 08:00
    delivery_closes_at: dt.datetime | None  # agenda_days_before_min days before day 1, 08:00
    first_day_at: dt.datetime | None  # the first block of the first day


def timeline(edition: Edition) -> Timeline:
    """The submission window, the agenda delivery window and the start of the edition."""
    tz = ZoneInfo(edition.timezone)
    if not edition.days:
        return Timeline(edition.submissions_open_at, edition.submissions_close_at, None, None, None)
    first = min(edition.days, key=lambda d: d.date)
    first_time = min((b.start_time for b in first.blocks), default=dt.time(0))

    def at(days_before: int) -> dt.datetime:
        day = first.date - dt.timedelta(days=days_before)
        return dt.datetime.combine(day, AGENDA_DELIVERY_TIME, tzinfo=tz)

    return Timeline(
        submissions_open_at=edition.submissions_open_at,
        submissions_close_at=edition.submissions_close_at,
        delivery_opens_at=at(edition.agenda_days_before_max),
        delivery_closes_at=at(edition.agenda_days_before_min),
        first_day_at=dt.datetime.combine(first.date, first_time, tzinfo=tz),
    )
