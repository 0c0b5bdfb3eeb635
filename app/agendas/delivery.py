"""Delivery of a publication: the agendas of schedule version N are rendered and queued for
e-mail, in the publication's transaction, and the SD follows their delivery per version.

Decisions:
- Atomic: scheduling writes the version (`app.scheduling.publication.publish`) and this
  module the outbox messages in the caller's transaction; any error rolls all of it back.
- Rendering before writing: the e-mails and their PDF / .ics attachments are rendered from
  the drafted, not yet written version (`prepare_notifications`) before the transaction's
  first write, so the writes (version, meetings, status, pointer, outbox rows) are short.
- Due time: the version's `delivery_due_at` (scheduling's delivery window).
- Per party (sector, delegation): if an earlier agenda of this edition was already sent
  (or is being sent) to it, a republication sends only when its meetings changed (added,
  removed, moved in time or room), listing the changes, with the updated agenda attached;
  a party that never received one gets its full agenda. Messages still queued for a party
  are superseded by the new version's (nobody gets a stale agenda later).
- Parties without a contact e-mail get no message (the agenda stays downloadable).
- A delegation's first e-mail also lists its requested meetings the version leaves out,
  with the reason (`app.scheduling.unscheduled`); a delegation with none scheduled still
  gets that e-mail.
- Every e-mail has a plain-text and an HTML part (`app.agendas.emails`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.agendas import store
from app.agendas.emails import EmailBody, Section, greeting
from app.agendas.formats import AgendaFormat
from app.agendas.render.fmt import format_date_long, format_time
from app.agendas.schemas import DeliveryStatus, PartyChange, PublicationPublic
from app.agendas.service import AgendaContext, build_agenda, load_context, summary_of
from app.agendas.store import Rendered
from app.core.config import Settings
from app.editions.models import Delegation, Edition, Sector
from app.mail.models import MessageKind, MessageStatus, OutboxMessage
from app.mail.service import Attachment, queue_message, supersede
from app.scheduling.plan import PlannedMeeting
from app.scheduling.publication import (
    Party,
    PartyDiff,
    PublicationDraft,
    by_party,
    diff_versions,
    draft_meetings,
    draft_run,
    parties_of,
    publish,
)
from app.scheduling.unscheduled import UnscheduledRequest, unscheduled_requests
from app.scheduling.versions import CurrentSchedule, ScheduledMeeting, ScheduleVersion

# --------------------------------------------------------------------------- publishing


def deliver(*, session: Session, draft: PublicationDraft, settings: Settings) -> ScheduleVersion:
    """Render the drafted version's e-mails, publish the version, queue the e-mails."""
    now = draft.version.published_at
    notifications = prepare_notifications(
        session=session,
        edition=draft.edition,
        version=draft.version,
        meetings=draft.meetings,
        old=draft.previous,
    )
    version = publish(session=session, draft=draft)
    queue_notifications(
        session=session,
        edition=draft.edition,
        version=version,
        notifications=notifications,
        due_at=version.delivery_due_at,
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
) -> PublicationPublic:
    """Publish a succeeded solve run as version N+1 and queue its agendas' e-mails."""
    draft = draft_run(
        session=session,
        edition=edition,
        run_id=run_id,
        published_by=published_by,
        now=now,
        force=force,
        reason=reason,
    )
    version = deliver(session=session, draft=draft, settings=settings)
    return publication_public(session=session, edition=edition, version=version, now=now)


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
    draft = draft_meetings(
        session=session,
        edition=edition,
        meetings=meetings,
        published_by=published_by,
        now=now,
        run_id=run_id,
        force=force,
        reason=reason,
    )
    return deliver(session=session, draft=draft, settings=settings)


# --------------------------------------------------------------------------- e-mails


def _room(ctx: AgendaContext, m: ScheduledMeeting) -> str:
    return ctx.rooms[m.room_id].name if m.room_id in ctx.rooms else f"Sala {m.room_id}"


def _time(ctx: AgendaContext, m: ScheduledMeeting) -> str:
    tz = ZoneInfo(ctx.edition.timezone)
    start, end = m.starts_at.astimezone(tz), m.ends_at.astimezone(tz)
    return f"{format_date_long(start.date())}, {format_time(start)} - {format_time(end)}"


def _hours(ctx: AgendaContext, m: ScheduledMeeting) -> str:
    tz = ZoneInfo(ctx.edition.timezone)
    return f"{format_time(m.starts_at.astimezone(tz))} - {format_time(m.ends_at.astimezone(tz))}"


def _when(ctx: AgendaContext, m: ScheduledMeeting) -> str:
    return f"{_time(ctx, m)}, {_room(ctx, m)}"


def _sector_names(ctx: AgendaContext, sector_ids: Sequence[int]) -> str:
    names = [
        f"{ctx.sectors[s].name} ({ctx.sectors[s].code})" for s in sector_ids if s in ctx.sectors
    ]
    return " + ".join(names) or "Sector"


def subject_for(edition: Edition, code: str, number: int, *, changes: bool = False) -> str:
    head = "Cambios en la agenda" if changes else "Agenda"
    return f"{head} de reuniones bilaterales \u2013 {edition.name} \u2013 {code} (versión {number})"


def _meeting_line(ctx: AgendaContext, m: ScheduledMeeting) -> str:
    return f"{_when(ctx, m)}: {summary_of(ctx, m)}"


def _moved_line(ctx: AgendaContext, a: ScheduledMeeting, b: ScheduledMeeting) -> str:
    """Only what changed: the room, the time, or both."""
    tz = ZoneInfo(ctx.edition.timezone)
    room_changed = a.room_id != b.room_id
    time_changed = (a.starts_at, a.ends_at) != (b.starts_at, b.ends_at)
    if room_changed and not time_changed:
        start, end = b.starts_at.astimezone(tz), b.ends_at.astimezone(tz)
        return (
            f"{summary_of(ctx, b)} ({format_date_long(start.date())}, {format_time(start)} - "
            f"{format_time(end)}): cambia de sala, de {_room(ctx, a)} a {_room(ctx, b)}"
        )
    if time_changed and not room_changed:
        before, after = a.starts_at.astimezone(tz), b.starts_at.astimezone(tz)
        if before.date() == after.date():
            return (
                f"{summary_of(ctx, b)} ({_room(ctx, b)}, {format_date_long(after.date())}): "
                f"cambia de horario, de {_hours(ctx, a)} a {_hours(ctx, b)}"
            )
        return (
            f"{summary_of(ctx, b)} ({_room(ctx, b)}): cambia de horario, de "
            f"{_time(ctx, a)} a {_time(ctx, b)}"
        )
    return f"{summary_of(ctx, b)}: antes {_when(ctx, a)}; ahora {_when(ctx, b)}"


def agenda_body(
    ctx: AgendaContext,
    kind: str,
    name: str,
    code: str,
    meetings: Sequence[ScheduledMeeting],
    unscheduled: Sequence[UnscheduledRequest] = (),
) -> EmailBody:
    """A party's first e-mail: its meetings and, for a delegation, its requested meetings
    that were not scheduled, each with the reason."""
    edition = ctx.edition
    venue = f" en {edition.venue}" if edition.venue else ""
    sections = [
        Section(
            f"Reuniones programadas ({len(meetings)})",
            [_meeting_line(ctx, m) for m in meetings] or ["Ninguna."],
        )
    ]
    if unscheduled:
        sections.append(
            Section(
                f"Reuniones solicitadas que no se programaron ({len(unscheduled)})",
                [f"{_sector_names(ctx, u.sector_ids)}: {u.reason}" for u in unscheduled],
            )
        )
    return EmailBody(
        greeting=greeting(name, code),
        intro=[
            "La Secretaría de Descentralización de la PCM le remite su agenda de reuniones "
            f"bilaterales del {edition.name}{venue} (versión {ctx.version.number})."
        ],
        sections=sections,
        closing=[
            "Se adjuntan la agenda en PDF, con un resumen del día y los temas priorizados de "
            "cada reunión (código CUI y monto), y el archivo de calendario (.ics) para "
            "importarla."
        ],
    )


def changes_body(ctx: AgendaContext, kind: str, name: str, code: str, d: PartyDiff) -> EmailBody:
    """A re-plan's e-mail: only the party's meetings that were added, cancelled or moved."""
    n = ctx.version.number
    sections = []
    if d.added:
        sections.append(Section("Reuniones nuevas", [_meeting_line(ctx, m) for m in d.added]))
    if d.removed:
        sections.append(Section("Reuniones canceladas", [_meeting_line(ctx, m) for m in d.removed]))
    if d.moved:
        sections.append(
            Section("Reuniones reprogramadas", [_moved_line(ctx, a, b) for a, b in d.moved])
        )
    return EmailBody(
        greeting=greeting(name, code),
        intro=[
            f"La agenda de reuniones bilaterales del {ctx.edition.name} cambió: esta es la "
            f"versión {n}, que reemplaza a la versión {n - 1}. Solo cambió lo siguiente; sus "
            "demás reuniones siguen igual."
        ],
        sections=sections,
        closing=[
            "Se adjuntan la agenda actualizada en PDF, que marca lo que cambió, y el archivo "
            "de calendario (.ics), que actualiza o cancela los eventos ya importados."
        ],
    )


ATTACHED = {AgendaFormat.pdf: "application/pdf", AgendaFormat.ics: "text/calendar"}


def _documents(ctx: AgendaContext, kind: str, party_id: int) -> dict[AgendaFormat, Rendered]:
    """The party's agenda in the attached formats (stored with the version when published)."""
    agenda = build_agenda(ctx, kind=kind, owner_id=party_id)  # type: ignore[arg-type]
    return {fmt: store.render(agenda, fmt) for fmt in ATTACHED}


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
    html: str
    documents: dict[AgendaFormat, Rendered]

    @property
    def attachments(self) -> list[Attachment]:
        return [
            Attachment(doc.filename, ATTACHED[fmt], doc.content)
            for fmt, doc in self.documents.items()
        ]


@dataclass
class Notifications:
    messages: list[Notification]
    superseded: list[OutboxMessage]  # still queued for the edition: replaced by the new ones


def _add_parties(
    *, session: Session, ctx: AgendaContext, unscheduled: dict[int, list[UnscheduledRequest]]
) -> None:
    """Read into `ctx` the delegations and sectors only left-out requests name."""
    delegations = set(unscheduled) - set(ctx.delegations)
    sectors = {s for us in unscheduled.values() for u in us for s in u.sector_ids} - set(
        ctx.sectors
    )
    if delegations:
        for d in session.exec(select(Delegation).where(col(Delegation.id).in_(delegations))):
            ctx.delegations[d.id or 0] = d
    if sectors:
        for s in session.exec(select(Sector).where(col(Sector.id).in_(sectors))):
            ctx.sectors[s.id or 0] = s


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
    new_parties = by_party(ctx.meetings)
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
    left_out: dict[int, list[UnscheduledRequest]] = defaultdict(list)
    for u in unscheduled_requests(
        session=session,
        edition=edition,
        run_id=version.run_id,
        scheduled_ids={m.request_id for m in ctx.meetings},
    ):
        left_out[u.delegation_id].append(u)
    _add_parties(session=session, ctx=ctx, unscheduled=left_out)
    parties: list[Party] = sorted(
        [("sector", s) for s in old_sectors | new_sectors]
        + [("delegation", d) for d in old_delegations | new_delegations | left_out.keys()]
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
        elif party in new_parties or (kind == "delegation" and party_id in left_out):
            message_kind = MessageKind.agenda
            mine = sorted(
                new_parties.get(party, {}).values(), key=lambda m: (m.starts_at, m.room_id)
            )
            not_scheduled = left_out.get(party_id, []) if kind == "delegation" else []
            body = agenda_body(ctx, kind, owner.name, owner.code, mine, not_scheduled)
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
                body=body.text(),
                html=body.html(),
                documents=_documents(ctx, kind, party_id),
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
    """Write the prepared e-mails to the outbox (and supersede the ones still queued) and
    store their attached documents with the version."""
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
            body_html=n.html,
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
        for fmt, doc in n.documents.items():
            store.save(
                session=session,
                version_id=version.id or 0,
                kind=n.party_kind,  # type: ignore[arg-type]
                owner_id=n.party_id,
                fmt=fmt,
                rendered=doc,
            )
    return len(notifications.messages)


# --------------------------------------------------------------------------- reads


def _status(counts: Counter[str], due_at: dt.datetime, now: dt.datetime) -> DeliveryStatus:
    gone = (MessageStatus.superseded, MessageStatus.cancelled)
    live = {k: v for k, v in counts.items() if k not in gone and v}
    if not counts:
        return DeliveryStatus.none
    if not live:
        if counts.get(MessageStatus.cancelled):
            return DeliveryStatus.cancelled
        return DeliveryStatus.superseded
    if live.keys() == {MessageStatus.sent}:
        return DeliveryStatus.sent
    if MessageStatus.failed in live:
        return DeliveryStatus.partial if MessageStatus.sent in live else DeliveryStatus.failed
    return DeliveryStatus.scheduled if due_at > now else DeliveryStatus.pending


def _publications(
    *, session: Session, edition: Edition, versions: Sequence[ScheduleVersion], now: dt.datetime
) -> list[PublicationPublic]:
    """`versions` as the SD sees them: delivery status, message counts, per-party changes."""
    numbers = [v.number for v in versions]
    wanted = set(numbers) | {n - 1 for n in numbers}
    every = {
        v.number: v
        for v in session.exec(
            select(ScheduleVersion).where(
                ScheduleVersion.edition_id == edition.id,
                col(ScheduleVersion.number).in_(wanted),
            )
        )
    }
    pointer = session.get(CurrentSchedule, edition.id)
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for number, status, n in session.exec(
        select(OutboxMessage.agenda_version, OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.edition_id == edition.id)
        .where(col(OutboxMessage.agenda_version).in_(numbers))
        .group_by(col(OutboxMessage.agenda_version), col(OutboxMessage.status))
    ):
        counts[number or 0][str(status)] += n
    meetings: dict[int, list[ScheduledMeeting]] = defaultdict(list)
    for m in session.exec(
        select(ScheduledMeeting).where(
            col(ScheduledMeeting.version_id).in_([v.id for v in every.values()])
        )
    ):
        meetings[m.version_id].append(m)
    codes = _party_codes(session=session, meetings=[m for ms in meetings.values() for m in ms])
    out = []
    for v in versions:
        prev = every.get(v.number - 1)
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


def list_publications(
    *, session: Session, edition: Edition, now: dt.datetime
) -> list[PublicationPublic]:
    """Every version of the edition's schedule, newest first, with its delivery status."""
    versions = session.exec(
        select(ScheduleVersion)
        .where(ScheduleVersion.edition_id == edition.id)
        .order_by(col(ScheduleVersion.number).desc())
    ).all()
    return _publications(session=session, edition=edition, versions=versions, now=now)


def publication_public(
    *, session: Session, edition: Edition, version: ScheduleVersion, now: dt.datetime
) -> PublicationPublic:
    """One version with its delivery status."""
    return _publications(session=session, edition=edition, versions=[version], now=now)[0]


def _party_codes(*, session: Session, meetings: Sequence[ScheduledMeeting]) -> dict[Party, str]:
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
