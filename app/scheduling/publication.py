"""Publication: a solve run's meetings become the edition's schedule version N.

Decisions:
- Two steps, so the caller can render what depends on the new version between them:
  `draft_run` / `draft_meetings` validate and snapshot without writing; `publish` writes
  the version row, every meeting row, the edition's status and the current-version
  pointer (flipped last) in the caller's transaction; any error rolls all of it back.
- Delivery window, on the edition's local calendar (America/Lima) with d = days from today
  to the first day: d > agenda_days_before_max (5) -> the version's agendas are due at
  08:00 local time of the day 5 days before the first day; min <= d <= max -> due at once;
  d < agenda_days_before_min (2) -> 409, unless `force` with a reason (recorded).
- A meeting is the same meeting in every version when it keeps its request id; the
  diff between two versions (added, removed, moved in time or room) is per party.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from app.core.errors import Conflict, Invalid, NotFound
from app.editions.models import Edition, EditionStatus, Room
from app.editions.service import STATUS_ES, transition
from app.scheduling.models import (
    MeetingRequest,
    MeetingRequestSector,
    MeetingRequestTopic,
    RunStatus,
    SolveRun,
)
from app.scheduling.plan import PlannedMeeting
from app.scheduling.versions import CurrentSchedule, ScheduledMeeting, ScheduleVersion

DELIVERY_LOCAL_TIME = dt.time(8, 0)
PUBLISHABLE = {EditionStatus.scheduling, EditionStatus.published}


# --------------------------------------------------------------------------- reads


def current_version(*, session: Session, edition: Edition) -> ScheduleVersion | None:
    """The published version the edition's pointer designates (None before publication)."""
    pointer = session.get(CurrentSchedule, edition.id)
    return session.get(ScheduleVersion, pointer.version_id) if pointer else None


def get_version(*, session: Session, edition: Edition, number: int | None) -> ScheduleVersion:
    """Version `number` of the edition's schedule, or the current one; 404 if none."""
    if number is None:
        version = current_version(session=session, edition=edition)
    else:
        version = session.exec(
            select(ScheduleVersion).where(
                ScheduleVersion.edition_id == edition.id, ScheduleVersion.number == number
            )
        ).first()
    if version is None:
        what = f"la versión {number} de la agenda" if number else "una agenda publicada"
        raise NotFound(f"La edición {edition.id} no tiene {what}.")
    return version


def version_meetings(*, session: Session, version_id: int) -> list[ScheduledMeeting]:
    """The meetings of one version, by start time then room."""
    return list(
        session.exec(
            select(ScheduledMeeting)
            .where(ScheduledMeeting.version_id == version_id)
            .order_by(col(ScheduledMeeting.starts_at), col(ScheduledMeeting.room_id))
        ).all()
    )


def current_meetings(*, session: Session, edition: Edition) -> list[ScheduledMeeting]:
    """The meetings of the current published version ([] before the first publication)."""
    version = current_version(session=session, edition=edition)
    if version is None or version.id is None:
        return []
    return version_meetings(session=session, version_id=version.id)


def published_meetings(*, session: Session, edition: Edition) -> list[PlannedMeeting]:
    """The current published version's meetings as planned meetings (what a re-plan keeps)."""
    return [
        PlannedMeeting(m.request_id, m.room_id, m.starts_at, m.ends_at)
        for m in current_meetings(session=session, edition=edition)
    ]


def parties_of(meetings: Sequence[ScheduledMeeting]) -> tuple[set[int], set[int]]:
    """(sector ids, delegation ids) that take part in these meetings."""
    return {s for m in meetings for s in m.sector_ids}, {m.delegation_id for m in meetings}


# --------------------------------------------------------------------------- window


@dataclass(frozen=True)
class Window:
    days_before: int
    due_at: dt.datetime
    late: bool


def delivery_window(*, edition: Edition, now: dt.datetime) -> Window:
    """When the agendas of a publication made `now` are due (see the module docstring)."""
    if not edition.days:
        raise Conflict("La edición no tiene días definidos.")
    tz = ZoneInfo(edition.timezone)
    first_day = min(d.date for d in edition.days)
    days_before = (first_day - now.astimezone(tz).date()).days
    if days_before > edition.agenda_days_before_max:
        opens = first_day - dt.timedelta(days=edition.agenda_days_before_max)
        due = dt.datetime.combine(opens, DELIVERY_LOCAL_TIME, tzinfo=tz).astimezone(dt.UTC)
        return Window(days_before, max(due, now), late=False)
    return Window(days_before, now, late=days_before < edition.agenda_days_before_min)


def window_dates(*, edition: Edition) -> tuple[dt.date, dt.date]:
    """The local dates on which agendas go out on time: from agenda_days_before_max to
    agenda_days_before_min days before the first day."""
    if not edition.days:
        raise Conflict("La edición no tiene días definidos.")
    first_day = min(d.date for d in edition.days)
    return (
        first_day - dt.timedelta(days=edition.agenda_days_before_max),
        first_day - dt.timedelta(days=edition.agenda_days_before_min),
    )


# --------------------------------------------------------------------------- diff


@dataclass
class PartyDiff:
    added: list[ScheduledMeeting] = field(default_factory=list)
    removed: list[ScheduledMeeting] = field(default_factory=list)
    moved: list[tuple[ScheduledMeeting, ScheduledMeeting]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved)


Party = tuple[str, int]  # ("sector", id) or ("delegation", id)


def by_party(meetings: Sequence[ScheduledMeeting]) -> dict[Party, dict[int, ScheduledMeeting]]:
    """Each party's meetings by request id."""
    out: dict[Party, dict[int, ScheduledMeeting]] = defaultdict(dict)
    for m in meetings:
        out[("delegation", m.delegation_id)][m.request_id] = m
        for s in m.sector_ids:
            out[("sector", s)][m.request_id] = m
    return out


def diff_versions(
    old: Sequence[ScheduledMeeting], new: Sequence[ScheduledMeeting]
) -> dict[Party, PartyDiff]:
    """Per party: meetings added, removed, and moved (time or room changed) from old to new."""
    before, after = by_party(old), by_party(new)
    out: dict[Party, PartyDiff] = {}
    for party in before.keys() | after.keys():
        a, b = before.get(party, {}), after.get(party, {})
        d = PartyDiff(
            added=[b[r] for r in sorted(b.keys() - a.keys())],
            removed=[a[r] for r in sorted(a.keys() - b.keys())],
            moved=[
                (a[r], b[r])
                for r in sorted(a.keys() & b.keys())
                if (a[r].room_id, a[r].starts_at, a[r].ends_at)
                != (b[r].room_id, b[r].starts_at, b[r].ends_at)
            ],
        )
        if d:
            out[party] = d
    return out


# --------------------------------------------------------------------------- publishing


@dataclass
class PublicationDraft:
    """Version N+1, validated and snapshotted but not written: `version` has no id yet and
    `meetings` no version id; `previous` holds the current version's meetings."""

    edition: Edition
    version: ScheduleVersion
    meetings: list[ScheduledMeeting]
    previous: list[ScheduledMeeting]


def _snapshots(
    *, session: Session, edition: Edition, meetings: Sequence[PlannedMeeting]
) -> list[ScheduledMeeting]:
    """Validate the planned meetings and snapshot their requests (delegation, sectors, topics)."""
    ids = [m.request_id for m in meetings]
    if len(set(ids)) != len(ids):
        raise Invalid("El cronograma repite una solicitud de reunión.")
    requests = {
        r.id: r
        for r in session.exec(
            select(MeetingRequest).where(
                col(MeetingRequest.id).in_(ids), MeetingRequest.edition_id == edition.id
            )
        )
    }
    missing = sorted(set(ids) - requests.keys())
    if missing:
        raise Invalid(
            "El cronograma incluye solicitudes que no existen en la edición.", request_ids=missing
        )
    rooms = set(session.exec(select(Room.id).where(Room.edition_id == edition.id)).all())
    unknown_rooms = sorted({m.room_id for m in meetings} - rooms)
    if unknown_rooms:
        raise Invalid("El cronograma usa salas de otra edición.", room_ids=unknown_rooms)
    sectors: dict[int, list[int]] = defaultdict(list)
    for rid, sid in session.exec(
        select(MeetingRequestSector.request_id, MeetingRequestSector.sector_id).where(
            col(MeetingRequestSector.request_id).in_(ids)
        )
    ):
        sectors[rid].append(sid)
    topics: dict[int, list[int]] = defaultdict(list)
    for rid, tid in session.exec(
        select(MeetingRequestTopic.request_id, MeetingRequestTopic.topic_id).where(
            col(MeetingRequestTopic.request_id).in_(ids)
        )
    ):
        topics[rid].append(tid)
    out = []
    for m in meetings:
        if m.ends_at <= m.starts_at or m.starts_at.tzinfo is None:
            raise Invalid(f"La reunión de la solicitud {m.request_id} tiene un horario inválido.")
        out.append(
            ScheduledMeeting(
                version_id=0,
                request_id=m.request_id,
                delegation_id=requests[m.request_id].delegation_id,
                room_id=m.room_id,
                starts_at=m.starts_at,
                ends_at=m.ends_at,
                sector_ids=sorted(sectors[m.request_id]),
                topic_ids=sorted(topics[m.request_id]),
            )
        )
    return out


def draft_meetings(
    *,
    session: Session,
    edition: Edition,
    meetings: Sequence[PlannedMeeting],
    published_by: str,
    now: dt.datetime,
    run_id: int | None = None,
    force: bool = False,
    reason: str | None = None,
) -> PublicationDraft:
    """Validate `meetings` as version N+1 of the edition's schedule; no writes."""
    if EditionStatus(edition.status) not in PUBLISHABLE:
        raise Conflict(
            f"Solo se publica una edición en programación o ya publicada; esta está en "
            f"«{STATUS_ES[EditionStatus(edition.status)]}»."
        )
    if force and not (reason and reason.strip()):
        raise Invalid("Para forzar la publicación indique el motivo (campo reason).")
    window = delivery_window(edition=edition, now=now)
    if window.late and not force:
        raise Conflict(
            f"Faltan {max(window.days_before, 0)} día(s) para la edición: las agendas deben "
            f"enviarse al menos {edition.agenda_days_before_min} días antes. Para publicar de "
            "todos modos use force=true e indique el motivo.",
            days_before=window.days_before,
        )
    rows = _snapshots(session=session, edition=edition, meetings=meetings)
    last = session.exec(
        select(func.max(ScheduleVersion.number)).where(ScheduleVersion.edition_id == edition.id)
    ).one()
    version = ScheduleVersion(
        edition_id=edition.id,
        number=(last or 0) + 1,
        run_id=run_id,
        published_at=now,
        published_by=published_by[:120],
        forced=force,
        force_reason=reason.strip() if force and reason else None,
        delivery_due_at=window.due_at,
        meeting_count=len(rows),
    )
    previous = current_meetings(session=session, edition=edition)
    return PublicationDraft(edition=edition, version=version, meetings=rows, previous=previous)


def draft_run(
    *,
    session: Session,
    edition: Edition,
    run_id: int,
    published_by: str,
    now: dt.datetime,
    force: bool = False,
    reason: str | None = None,
) -> PublicationDraft:
    """Validate a succeeded solve run of the edition as version N+1 (404 for an unknown or
    foreign run, 409 for one that did not succeed or is the current version already; an
    older version's run may be published again); no writes."""
    run = session.get(SolveRun, run_id)
    if run is None or run.edition_id != edition.id:
        raise NotFound(f"No existe la corrida {run_id} en la edición {edition.id}.")
    if run.status != RunStatus.succeeded:
        raise Conflict(
            f"Solo se publica una corrida terminada con éxito; esta está en «{run.status}»."
        )
    current = current_version(session=session, edition=edition)
    if current is not None and current.run_id == run_id:
        raise Conflict(
            f"La corrida {run_id} ya está publicada: es la versión vigente "
            f"{current.number}. No se creó una versión nueva.",
            version=current.number,
        )
    return draft_meetings(
        session=session,
        edition=edition,
        meetings=[PlannedMeeting.from_json(a) for a in run.assignments or []],
        published_by=published_by,
        now=now,
        run_id=run_id,
        force=force,
        reason=reason,
    )


def publish(*, session: Session, draft: PublicationDraft) -> ScheduleVersion:
    """Write a drafted version: its row, its meetings, the edition's status, then the pointer."""
    edition, version = draft.edition, draft.version
    session.add(version)
    session.flush()
    for row in draft.meetings:
        row.version_id = version.id  # type: ignore[assignment]
    session.add_all(draft.meetings)
    session.flush()
    if edition.status == EditionStatus.scheduling:
        transition(session=session, edition=edition, to_status=EditionStatus.published)
    pointer = session.get(CurrentSchedule, edition.id)
    if pointer is None:
        pointer = CurrentSchedule(edition_id=edition.id, version_id=version.id)  # type: ignore[arg-type]
    pointer.version_id = version.id  # type: ignore[assignment]
    pointer.updated_at = version.published_at
    session.add(pointer)
    session.flush()
    return version
