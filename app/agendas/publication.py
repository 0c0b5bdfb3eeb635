"""Publication: a solve run's meetings become the edition's schedule version N, in one
transaction, and the agendas of version N are queued for e-mail delivery.

Decisions:
- Atomic: the version row, every meeting row, the edition's status, the current-version
  pointer (flipped last) and the outbox messages are written in the caller's transaction;
  any error rolls all of it back.
- Delivery window, on the edition's local calendar (America/Lima) with d = days from today
  to the first day: d > agenda_days_before_max (5) -> the e-mails are due at 08:00 local
  time of the day 5 days before the first day; min <= d <= max -> due at once;
  d < agenda_days_before_min (2) -> 409, unless `force` with a reason (recorded).
- Per party (sector, delegation): if an earlier agenda of this edition was already sent
  (or is being sent) to it, a republication sends only when its meetings changed (added,
  removed, moved in time or room), listing the changes, with the updated agenda attached;
  a party that never received one gets its full agenda. Messages still queued for a party
  are superseded by the new version's (nobody gets a stale agenda later).
- Parties without a contact e-mail get no message (the agenda stays downloadable).
- Rendering before writing: the e-mails and their PDF / .ics attachments are rendered from
  the not yet written version (`prepare_notifications`) before the transaction's first
  write, so the writes (version, meetings, status, pointer, outbox rows) are short.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.agendas import formats
from app.agendas.models import (
    CurrentSchedule,
    DeliveryStatus,
    PartyChange,
    PublicationPublic,
    ScheduledMeeting,
    ScheduleVersion,
)
from app.agendas.render.fmt import format_date_long, format_time
from app.agendas.service import (
    AgendaContext,
    build_agenda,
    current_version,
    load_context,
    parties_of,
    summary_of,
)
from app.core.config import Settings
from app.core.errors import Conflict, Invalid, NotFound
from app.editions.models import Edition, EditionStatus, Room
from app.editions.service import STATUS_ES, transition
from app.mail.models import MessageKind, MessageStatus, OutboxMessage
from app.mail.service import Attachment, queue_message, supersede
from app.scheduling.models import MeetingRequest, MeetingRequestSector, MeetingRequestTopic
from app.scheduling.plan import PlannedMeeting

DELIVERY_LOCAL_TIME = dt.time(8, 0)
PUBLISHABLE = {EditionStatus.scheduling, EditionStatus.published}


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


# --------------------------------------------------------------------------- diff


@dataclass
class PartyDiff:
    added: list[ScheduledMeeting] = field(default_factory=list)
    removed: list[ScheduledMeeting] = field(default_factory=list)
    moved: list[tuple[ScheduledMeeting, ScheduledMeeting]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved)


Party = tuple[str, int]  # ("sector", id) or ("delegation", id)


def _by_party(meetings: Sequence[ScheduledMeeting]) -> dict[Party, dict[int, ScheduledMeeting]]:
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
    before, after = _by_party(old), _by_party(new)
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


def publish_meetings(
    *,
    session: Session,
    edition: Edition,
    meetings: Sequence[PlannedMeeting],
    published_by: str,
    now: dt.datetime,
    settings: Settings,
    run_id: int | None = None,
    force: bool = False,
    reason: str | None = None,
) -> ScheduleVersion:
    """Publish `meetings` as version N+1 of the edition's schedule and queue its e-mails."""
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
    previous = current_version(session=session, edition=edition)
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
    old = (
        session.exec(
            select(ScheduledMeeting).where(ScheduledMeeting.version_id == previous.id)
        ).all()
        if previous
        else []
    )
    # Reads and rendering (PDF + .ics of every party) happen before the first write: the
    # write part below only inserts and updates rows, so it holds its locks (SQLite: the
    # database's write lock) for a fraction of a second instead of the whole rendering.
    notifications = prepare_notifications(
        session=session, edition=edition, version=version, meetings=rows, old=list(old)
    )

    session.add(version)
    session.flush()
    for row in rows:
        row.version_id = version.id  # type: ignore[assignment]
    session.add_all(rows)
    session.flush()
    if edition.status == EditionStatus.scheduling:
        transition(session=session, edition=edition, to_status=EditionStatus.published)
    pointer = session.get(CurrentSchedule, edition.id)
    if pointer is None:
        pointer = CurrentSchedule(edition_id=edition.id, version_id=version.id)  # type: ignore[arg-type]
    pointer.version_id = version.id  # type: ignore[assignment]
    pointer.updated_at = now
    session.add(pointer)
    session.flush()
    queue_notifications(
        session=session,
        edition=edition,
        version=version,
        notifications=notifications,
        due_at=window.due_at,
        now=now,
        settings=settings,
    )
    session.flush()
    return version


def publish_run(
    *,
    session: Session,
    edition: Edition,
    run_id: int,
    published_by: str,
    now: dt.datetime,
    settings: Settings,
    force: bool = False,
    reason: str | None = None,
) -> ScheduleVersion:
    """Publish a succeeded solve run of the edition (404 for an unknown or foreign run)."""
    from app.scheduling.models import RunStatus, SolveRun
    from app.scheduling.runs import run_meetings

    run = session.get(SolveRun, run_id)
    if run is None or run.edition_id != edition.id:
        raise NotFound(f"No existe la corrida {run_id} en la edición {edition.id}.")
    if run.status != RunStatus.succeeded:
        raise Conflict(
            f"Solo se publica una corrida terminada con éxito; esta está en «{run.status}»."
        )
    meetings = run_meetings(session=session, run=run)
    return publish_meetings(
        session=session,
        edition=edition,
        meetings=meetings,
        published_by=published_by,
        now=now,
        settings=settings,
        run_id=run_id,
        force=force,
        reason=reason,
    )


def published_meetings(*, session: Session, edition: Edition) -> list[PlannedMeeting]:
    """The current published version's meetings ([] before the first publication)."""
    version = current_version(session=session, edition=edition)
    if version is None:
        return []
    rows = session.exec(
        select(ScheduledMeeting)
        .where(ScheduledMeeting.version_id == version.id)
        .order_by(col(ScheduledMeeting.starts_at), col(ScheduledMeeting.room_id))
    ).all()
    return [PlannedMeeting(m.request_id, m.room_id, m.starts_at, m.ends_at) for m in rows]


# --------------------------------------------------------------------------- e-mails


def _when(ctx: AgendaContext, m: ScheduledMeeting) -> str:
    tz = ZoneInfo(ctx.edition.timezone)
    start, end = m.starts_at.astimezone(tz), m.ends_at.astimezone(tz)
    room = ctx.rooms[m.room_id].name if m.room_id in ctx.rooms else f"sala {m.room_id}"
    return f"{format_date_long(start.date())}, {format_time(start)} - {format_time(end)}, {room}"


def subject_for(edition: Edition, code: str, number: int, *, changes: bool = False) -> str:
    head = "Cambios en la agenda" if changes else "Agenda"
    return f"{head} de reuniones bilaterales \u2013 {edition.name} \u2013 {code} (versión {number})"


def _greeting(kind: str, name: str, code: str) -> str:
    return (
        f"Estimado equipo de {name} ({code}):"
        if kind == "sector"
        else f"Estimado equipo del {name} ({code}):"
    )


SIGNATURE = (
    "\nAtentamente,\nEquipo de articulación\nSecretaría de Descentralización\n"
    "Presidencia del Consejo de Ministros\n\nEste mensaje fue generado por Articula; "
    "las respuestas llegan al equipo de articulación."
)


def agenda_body(ctx: AgendaContext, kind: str, name: str, code: str, meetings) -> str:
    edition = ctx.edition
    venue = f" en {edition.venue}" if edition.venue else ""
    lines = [
        _greeting(kind, name, code),
        "",
        f"La Secretaría de Descentralización de la PCM le remite su agenda de reuniones "
        f"bilaterales del {edition.name}{venue} (versión {ctx.version.number}).",
        "",
        f"Reuniones programadas ({len(meetings)}):",
    ]
    for m in meetings:
        lines.append(f"- {_when(ctx, m)}: {summary_of(ctx, m)}")
    lines += [
        "",
        "Se adjuntan la agenda en PDF, con los temas priorizados por cada delegación (código "
        "CUI y monto), y el archivo de calendario (.ics) para importarla.",
        SIGNATURE,
    ]
    return "\n".join(lines)


def changes_body(ctx: AgendaContext, kind: str, name: str, code: str, d: PartyDiff) -> str:
    edition = ctx.edition
    n = ctx.version.number
    lines = [
        _greeting(kind, name, code),
        "",
        f"La agenda de reuniones bilaterales del {edition.name} cambió: esta es la versión {n}, "
        f"que reemplaza a la versión {n - 1}. Cambios que le afectan:",
    ]
    if d.added:
        lines += ["", "Reuniones nuevas:"]
        lines += [f"- {_when(ctx, m)}: {summary_of(ctx, m)}" for m in d.added]
    if d.removed:
        lines += ["", "Reuniones canceladas:"]
        lines += [f"- {_when(ctx, m)}: {summary_of(ctx, m)}" for m in d.removed]
    if d.moved:
        lines += ["", "Reuniones reprogramadas (cambio de horario o de sala):"]
        lines += [
            f"- {summary_of(ctx, b)}: antes {_when(ctx, a)}; ahora {_when(ctx, b)}"
            for a, b in d.moved
        ]
    lines += [
        "",
        "Se adjuntan la agenda actualizada en PDF y el archivo de calendario (.ics), que "
        "actualiza o cancela los eventos ya importados.",
        SIGNATURE,
    ]
    return "\n".join(lines)


def _attachments(ctx: AgendaContext, kind: str, party_id: int) -> list[Attachment]:
    agenda = build_agenda(ctx, kind=kind, owner_id=party_id)  # type: ignore[arg-type]
    return [
        Attachment(
            formats.filename(agenda, formats.AgendaFormat.pdf),
            "application/pdf",
            formats.render(agenda, formats.AgendaFormat.pdf),
        ),
        Attachment(
            formats.filename(agenda, formats.AgendaFormat.ics),
            "text/calendar",
            formats.render(agenda, formats.AgendaFormat.ics),
        ),
    ]


@dataclass(frozen=True)
class Notification:
    """One e-mail of a publication, rendered and ready to queue."""

    kind: MessageKind
    party_kind: str
    party_id: int
    party_code: str
    to: list[str]
    subject: str
    body: str
    attachments: list[Attachment]


@dataclass
class Notifications:
    messages: list[Notification]
    superseded: list[OutboxMessage]  # still queued for the edition: replaced by the new ones


def prepare_notifications(
    *,
    session: Session,
    edition: Edition,
    version: ScheduleVersion,
    meetings: Sequence[ScheduledMeeting],
    old: Sequence[ScheduledMeeting],
) -> Notifications:
    """Version N's e-mails, rendered (full agendas for new recipients, changes for the
    others) from the database and the not yet written `version` and `meetings`; no writes."""
    ctx = load_context(session=session, edition=edition, version=version, pending=meetings)
    diffs = diff_versions(old, ctx.meetings)
    new_parties = _by_party(ctx.meetings)
    earlier = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.edition_id == edition.id,
            col(OutboxMessage.status).in_(
                [MessageStatus.queued, MessageStatus.sending, MessageStatus.sent]
            ),
        )
    ).all()
    delivered: set[Party] = {
        (m.party_kind or "", m.party_id or 0) for m in earlier if m.status != MessageStatus.queued
    }
    old_sectors, old_delegations = parties_of(old)
    new_sectors, new_delegations = parties_of(ctx.meetings)
    parties: list[Party] = sorted(
        [("sector", s) for s in old_sectors | new_sectors]
        + [("delegation", d) for d in old_delegations | new_delegations]
    )
    out: list[Notification] = []
    for party in parties:
        kind, party_id = party
        owner = ctx.sectors.get(party_id) if kind == "sector" else ctx.delegations.get(party_id)
        if owner is None or not owner.contact_emails:
            continue
        if party in delivered:
            if party not in diffs:
                continue
            message_kind = MessageKind.changes
            body = changes_body(ctx, kind, owner.name, owner.code, diffs[party])
        elif party in new_parties:
            message_kind = MessageKind.agenda
            mine = sorted(new_parties[party].values(), key=lambda m: (m.starts_at, m.room_id))
            body = agenda_body(ctx, kind, owner.name, owner.code, mine)
        else:
            continue
        out.append(
            Notification(
                kind=message_kind,
                party_kind=kind,
                party_id=party_id,
                party_code=owner.code,
                to=list(owner.contact_emails),
                subject=subject_for(
                    edition, owner.code, version.number, changes=message_kind == MessageKind.changes
                ),
                body=body,
                attachments=_attachments(ctx, kind, party_id),
            )
        )
    return Notifications(
        messages=out, superseded=[m for m in earlier if m.status == MessageStatus.queued]
    )


def queue_notifications(
    *,
    session: Session,
    edition: Edition,
    version: ScheduleVersion,
    notifications: Notifications,
    due_at: dt.datetime,
    now: dt.datetime,
    settings: Settings,
) -> int:
    """Write the prepared e-mails to the outbox (and supersede the ones still queued)."""
    for message in notifications.superseded:
        supersede(
            session=session,
            message=message,
            now=now,
            detail=f"reemplazado por la versión {version.number}",
        )
    for n in notifications.messages:
        queue_message(
            session=session,
            kind=n.kind,
            to=n.to,
            subject=n.subject,
            body=n.body,
            attachments=n.attachments,
            due_at=due_at,
            now=now,
            edition_id=edition.id,
            party_kind=n.party_kind,
            party_id=n.party_id,
            party_code=n.party_code,
            agenda_version=version.number,
            settings=settings,
        )
    return len(notifications.messages)


# --------------------------------------------------------------------------- reads


def _status(counts: Counter[str], due_at: dt.datetime, now: dt.datetime) -> DeliveryStatus:
    live = {k: v for k, v in counts.items() if k != MessageStatus.superseded and v}
    if not counts:
        return DeliveryStatus.none
    if not live:
        return DeliveryStatus.superseded
    if live.keys() == {MessageStatus.sent}:
        return DeliveryStatus.sent
    if MessageStatus.failed in live:
        return DeliveryStatus.partial if MessageStatus.sent in live else DeliveryStatus.failed
    return DeliveryStatus.scheduled if due_at > now else DeliveryStatus.pending


def list_publications(
    *, session: Session, edition: Edition, now: dt.datetime
) -> list[PublicationPublic]:
    """Every version of the edition's schedule, newest first, with its delivery status."""
    versions = session.exec(
        select(ScheduleVersion)
        .where(ScheduleVersion.edition_id == edition.id)
        .order_by(col(ScheduleVersion.number).desc())
    ).all()
    pointer = session.get(CurrentSchedule, edition.id)
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for number, status, n in session.exec(
        select(OutboxMessage.agenda_version, OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.edition_id == edition.id)
        .group_by(col(OutboxMessage.agenda_version), col(OutboxMessage.status))
    ):
        counts[number or 0][str(status)] += n
    meetings: dict[int, list[ScheduledMeeting]] = defaultdict(list)
    for m in session.exec(
        select(ScheduledMeeting).where(
            col(ScheduledMeeting.version_id).in_([v.id for v in versions])
        )
    ):
        meetings[m.version_id].append(m)
    by_number = {v.number: v for v in versions}
    codes = _party_codes(session=session, meetings=[m for ms in meetings.values() for m in ms])
    out = []
    for v in versions:
        prev = by_number.get(v.number - 1)
        changes = []
        if prev is not None:
            for (kind, pid), d in sorted(diff_versions(meetings[prev.id], meetings[v.id]).items()):
                changes.append(
                    PartyChange(
                        party_kind=kind,
                        party_code=codes.get((kind, pid), str(pid)),
                        added=len(d.added),
                        removed=len(d.removed),
                        moved=len(d.moved),
                    )
                )
        out.append(
            PublicationPublic(
                id=v.id,  # type: ignore[arg-type]
                edition_id=v.edition_id,
                number=v.number,
                run_id=v.run_id,
                published_at=v.published_at,
                published_by=v.published_by,
                forced=v.forced,
                force_reason=v.force_reason,
                meeting_count=v.meeting_count,
                current=pointer is not None and pointer.version_id == v.id,
                delivery_due_at=v.delivery_due_at,
                delivery_status=_status(counts[v.number], v.delivery_due_at, now),
                messages=dict(counts[v.number]),
                changes=changes,
            )
        )
    return out


def _party_codes(*, session: Session, meetings: Sequence[ScheduledMeeting]) -> dict[Party, str]:
    from app.editions.models import Delegation, Sector

    sectors, delegations = parties_of(meetings)
    out: dict[Party, str] = {}
    for sid, code in session.exec(
        select(Sector.id, Sector.code).where(col(Sector.id).in_(sectors))
    ):
        out[("sector", sid)] = code
    for did, code in session.exec(
        select(Delegation.id, Delegation.code).where(col(Delegation.id).in_(delegations))
    ):
        out[("delegation", did)] = code
    return out
