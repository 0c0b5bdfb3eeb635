"""Rapporteurs' records, commitments, their status history and the follow-up summary.

Decisions (see also the router's docstring for who may call what):
- A meeting is addressed by its stable identity (edition_id, request_id) and must be in the
  edition's current published version; one rapporteur per meeting (re-assigning replaces).
- Rapporteurs write only in their own meetings (another meeting is a 404, same body as a
  missing one) and only until the SD closes the edition's records (then 409). The SD may
  write at any time.
- Responsible party: a sector, a delegation or both; in a meeting they must be the meeting's
  sector(s) / delegation. Amount in soles: required for budgetary commitments, optional
  (and informative) for the other types: a technical assistance may come with a transfer.
- Status: pending -> in_process | executed | cancelled; in_process -> pending | executed |
  cancelled; executed and cancelled are final for everyone but the SD, who may reopen them
  (-> pending | in_process) with a note. Cancelling and reopening need a note; `executed`
  needs evidence (a link, a file or a note in `commitment_evidence`, given with the change or
  attached before), and evidence can be added later at any status.
- A deadline written through the API is today or later (imports keep historic ones).
- Overdue = deadline < today in America/Lima (service clock) and status pending/in_process.
- Every change writes a `commitment_event` (who: key name and role; when: service clock).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.access.models import ApiKey, Role
from app.access.principal import Principal
from app.commitments.models import (
    FINAL_STATUSES,
    NOTE_MAX,
    OPEN_STATUSES,
    STATUS_ES,
    TYPE_ES,
    AssignmentCreate,
    AssignmentPublic,
    Attendee,
    Commitment,
    CommitmentCreate,
    CommitmentEvent,
    CommitmentEvidence,
    CommitmentFields,
    CommitmentImport,
    CommitmentPublic,
    CommitmentSource,
    CommitmentStatus,
    CommitmentType,
    CommitmentUpdate,
    EventKind,
    EvidenceIn,
    MeetingRecord,
    MeetingRecordIn,
    MeetingRecordPublic,
    RapporteurMeetingPublic,
    RecordsClosure,
    StatusChangeIn,
    SummaryPublic,
    SummaryRow,
)
from app.core import clock
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import Page, Pagination
from app.editions.models import Delegation, Edition, RapporteurAssignment, Room, Sector
from app.scheduling.publication import current_meetings
from app.scheduling.versions import ScheduledMeeting
from app.submissions.models import Topic

LIMA = ZoneInfo("America/Lima")
S = CommitmentStatus

# Who may move a commitment from one status to another (the SD also reopens final ones).
TRANSITIONS: dict[CommitmentStatus, frozenset[CommitmentStatus]] = {
    S.pending: frozenset({S.in_process, S.executed, S.cancelled}),
    S.in_process: frozenset({S.pending, S.executed, S.cancelled}),
    S.executed: frozenset(),
    S.cancelled: frozenset(),
}
REOPEN: frozenset[CommitmentStatus] = frozenset({S.pending, S.in_process})

Action = Literal["read", "edit", "status"]


def today() -> dt.date:
    """Today in Lima by the service clock (what `overdue` compares deadlines with)."""
    return clock.now().astimezone(LIMA).date()


def is_overdue(c: Commitment, on: dt.date) -> bool:
    return c.deadline is not None and c.deadline < on and S(c.status) in OPEN_STATUSES


def overdue_clause(on: dt.date) -> Any:
    return sa.and_(
        col(Commitment.deadline).is_not(None),
        col(Commitment.deadline) < on,
        col(Commitment.status).in_([s.value for s in OPEN_STATUSES]),
    )


def _missing_meeting(request_id: int) -> NotFound:
    return NotFound(f"No existe la reunión {request_id} en esta edición.")


def _missing_commitment(commitment_id: int) -> NotFound:
    return NotFound(f"No existe el compromiso {commitment_id}.")


# --------------------------------------------------------------------------- meetings


def published_meeting(*, session: Session, edition: Edition, request_id: int) -> ScheduledMeeting:
    """The meeting of a request in the current published version, or 404."""
    meeting = current_meetings_by_request(session=session, edition=edition).get(request_id)
    if meeting is None:
        raise _missing_meeting(request_id)
    return meeting


def current_meetings_by_request(
    *, session: Session, edition: Edition
) -> dict[int, ScheduledMeeting]:
    """The meetings of the edition's current published version, by request id."""
    return {m.request_id: m for m in current_meetings(session=session, edition=edition)}


def _assignment(
    *, session: Session, edition_id: int, request_id: int
) -> RapporteurAssignment | None:
    return session.exec(
        select(RapporteurAssignment).where(
            RapporteurAssignment.edition_id == edition_id,
            RapporteurAssignment.request_id == request_id,
        )
    ).first()


def records_closed(*, session: Session, edition_id: int) -> bool:
    return session.get(RecordsClosure, edition_id) is not None


def _closed_conflict() -> Conflict:
    return Conflict(
        "La SD cerró las relatorías de esta edición: ya no se pueden registrar ni modificar."
    )


def _is_own_meeting(
    *, session: Session, principal: Principal, edition_id: int | None, request_id: int | None
) -> bool:
    if not principal.is_rapporteur or edition_id is None or request_id is None:
        return False
    a = _assignment(session=session, edition_id=edition_id, request_id=request_id)
    return a is not None and a.key_id == principal.key_id


def _record_closed(*, session: Session, edition_id: int, request_id: int) -> bool:
    record = session.exec(
        select(MeetingRecord).where(
            MeetingRecord.edition_id == edition_id, MeetingRecord.request_id == request_id
        )
    ).first()
    return record is not None and record.closed_at is not None


def meeting_for(
    *,
    session: Session,
    edition: Edition,
    request_id: int,
    principal: Principal,
    write: bool,
) -> ScheduledMeeting:
    """The published meeting if the caller may act on it: the SD, or its own rapporteur
    (who gets a 409 for writes before the meeting starts and once the records are closed);
    everyone else a 404, also for a meeting the current version no longer has (cancelled).
    The SD may record at any time (corrections, records taken on paper)."""
    if not (
        principal.is_sd
        or _is_own_meeting(
            session=session, principal=principal, edition_id=edition.id, request_id=request_id
        )
    ):
        raise _missing_meeting(request_id)
    meeting = published_meeting(session=session, edition=edition, request_id=request_id)
    if write and principal.is_rapporteur and records_closed(session=session, edition_id=edition.id):  # type: ignore[arg-type]
        raise _closed_conflict()
    if (
        write
        and principal.is_rapporteur
        and _record_closed(
            session=session,
            edition_id=edition.id,
            request_id=request_id,  # type: ignore[arg-type]
        )
    ):
        raise Conflict(
            "Usted cerró la relatoría de esta reunión: ya no se puede modificar; pida a la SD "
            "cualquier corrección."
        )
    if write and principal.is_rapporteur and clock.now() < meeting.starts_at:
        starts = meeting.starts_at.astimezone(LIMA)
        raise Conflict(
            f"La reunión aún no empieza: podrá registrarla desde las {starts:%H:%M} del "
            f"{starts:%d/%m/%Y} (hora de Lima).",
            starts_at=meeting.starts_at.isoformat(),
        )
    return meeting


# --------------------------------------------------------------------------- rapporteurs


def _assignment_public(a: RapporteurAssignment, name: str) -> AssignmentPublic:
    return AssignmentPublic(
        edition_id=a.edition_id,
        request_id=a.request_id,
        rapporteur_key_id=a.key_id,
        rapporteur_name=name,
        assigned_at=a.assigned_at,
    )


def assign_rapporteur(
    *, session: Session, edition: Edition, assignment_in: AssignmentCreate, principal: Principal
) -> list[AssignmentPublic]:
    """Assign a rapporteur key to meetings of the published schedule (replaces earlier ones)."""
    key = session.get(ApiKey, assignment_in.rapporteur_key_id)
    if key is None or key.role != Role.rapporteur or key.revoked_at is not None:
        raise Invalid(f"La clave {assignment_in.rapporteur_key_id} no es de un relator vigente.")
    meetings = current_meetings_by_request(session=session, edition=edition)
    if not meetings:
        raise Conflict("La edición no tiene un cronograma publicado.")
    unknown = sorted(set(assignment_in.request_ids) - meetings.keys())
    if unknown:
        raise Invalid("Hay reuniones que no están en el cronograma publicado.", request_ids=unknown)
    now = clock.now()
    out = []
    for request_id in sorted(set(assignment_in.request_ids)):
        a = _assignment(session=session, edition_id=edition.id, request_id=request_id)  # type: ignore[arg-type]
        if a is None:
            a = RapporteurAssignment(
                edition_id=edition.id,  # type: ignore[arg-type]
                request_id=request_id,
                key_id=key.id,  # type: ignore[arg-type]
                assigned_by=principal.name[:120],
            )
        a.key_id, a.assigned_at, a.assigned_by = key.id, now, principal.name[:120]  # type: ignore[assignment]
        session.add(a)
        out.append(a)
    session.flush()
    return [_assignment_public(a, key.name) for a in out]


def list_assignments(
    *, session: Session, edition: Edition, principal: Principal
) -> list[AssignmentPublic]:
    """The SD sees every assignment of the edition, a rapporteur its own; others 404."""
    if not (principal.is_sd or principal.is_rapporteur):
        raise NotFound(f"No existe la edición {edition.id}.")
    query = (
        select(RapporteurAssignment, ApiKey.name)
        .join(ApiKey, col(ApiKey.id) == col(RapporteurAssignment.key_id))
        .where(RapporteurAssignment.edition_id == edition.id)
        .order_by(col(RapporteurAssignment.request_id))
    )
    if principal.is_rapporteur:
        query = query.where(RapporteurAssignment.key_id == principal.key_id)
    return [_assignment_public(a, name) for a, name in session.exec(query).all()]


def rapporteur_meetings(
    *, session: Session, edition: Edition, principal: Principal
) -> list[RapporteurMeetingPublic]:
    """The assigned meetings of the current published version, by start time: a
    rapporteur's own, every one for the SD; a meeting a later version cancelled drops out."""
    assignments = list_assignments(session=session, edition=edition, principal=principal)
    meetings = current_meetings_by_request(session=session, edition=edition)
    own = {a.request_id: a for a in assignments if a.request_id in meetings}
    if not own:
        return []
    chosen = sorted((meetings[r] for r in own), key=lambda m: (m.starts_at, m.room_id))
    rooms = dict(
        session.exec(select(Room.id, Room.name).where(Room.edition_id == edition.id)).all()
    )
    delegations = {
        d.id: d
        for d in session.exec(
            select(Delegation).where(col(Delegation.id).in_({m.delegation_id for m in chosen}))
        ).all()
    }
    sector_codes = dict(session.exec(select(Sector.id, Sector.code)).all())
    topic_ids = {t for m in chosen for t in m.topic_ids}
    titles = dict(
        session.exec(select(Topic.id, Topic.title).where(col(Topic.id).in_(topic_ids))).all()
    )
    records = {
        r.request_id: r
        for r in session.exec(
            select(MeetingRecord).where(
                MeetingRecord.edition_id == edition.id,
                col(MeetingRecord.request_id).in_(list(own)),
            )
        ).all()
    }
    return [
        RapporteurMeetingPublic(
            request_id=m.request_id,
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            room=rooms.get(m.room_id, "?"),
            delegation=delegations[m.delegation_id].code,
            delegation_name=delegations[m.delegation_id].name,
            sectors=sorted(sector_codes.get(s, "?") for s in m.sector_ids),
            topics=[titles[t] for t in m.topic_ids if t in titles],
            rapporteur_name=own[m.request_id].rapporteur_name,
            recorded=m.request_id in records,
            held=records[m.request_id].held if m.request_id in records else None,
            closed=m.request_id in records and records[m.request_id].closed_at is not None,
        )
        for m in chosen
    ]


def _record_public(r: MeetingRecord) -> MeetingRecordPublic:
    return MeetingRecordPublic(
        edition_id=r.edition_id,
        request_id=r.request_id,
        held=r.held,
        not_held_reason=r.not_held_reason,
        attendees=[Attendee.model_validate(a) for a in r.attendees],
        notes=r.notes,
        recorded_by=r.recorded_by,
        recorded_at=r.recorded_at,
        updated_at=r.updated_at,
        closed_at=r.closed_at,
    )


def record_meeting(
    *,
    session: Session,
    edition: Edition,
    request_id: int,
    record_in: MeetingRecordIn,
    principal: Principal,
) -> MeetingRecordPublic:
    """Create or replace the record of a meeting (held or not, attendees, notes)."""
    meeting_for(
        session=session, edition=edition, request_id=request_id, principal=principal, write=True
    )
    now = clock.now()
    record = session.exec(
        select(MeetingRecord).where(
            MeetingRecord.edition_id == edition.id, MeetingRecord.request_id == request_id
        )
    ).first()
    if record is None:
        record = MeetingRecord(
            edition_id=edition.id,  # type: ignore[arg-type]
            request_id=request_id,
            held=record_in.held,
            recorded_by=principal.name[:120],
            recorded_at=now,
        )
    record.held = record_in.held
    record.not_held_reason = record_in.not_held_reason if not record_in.held else None
    record.attendees = [a.model_dump() for a in record_in.attendees]
    record.notes = record_in.notes
    record.updated_at = now
    session.add(record)
    session.flush()
    return _record_public(record)


def get_record(
    *, session: Session, edition: Edition, request_id: int, principal: Principal
) -> MeetingRecordPublic:
    meeting_for(
        session=session, edition=edition, request_id=request_id, principal=principal, write=False
    )
    record = session.exec(
        select(MeetingRecord).where(
            MeetingRecord.edition_id == edition.id, MeetingRecord.request_id == request_id
        )
    ).first()
    if record is None:
        raise NotFound(f"La reunión {request_id} aún no tiene relatoría.")
    return _record_public(record)


def close_record(
    *, session: Session, edition: Edition, request_id: int, principal: Principal
) -> MeetingRecordPublic:
    """Close a meeting's record (no longer a draft): its rapporteur can no longer change it
    nor add commitments; the SD still can. 404 before there is a record."""
    meeting_for(
        session=session, edition=edition, request_id=request_id, principal=principal, write=True
    )
    record = session.exec(
        select(MeetingRecord).where(
            MeetingRecord.edition_id == edition.id, MeetingRecord.request_id == request_id
        )
    ).first()
    if record is None:
        raise NotFound(f"La reunión {request_id} aún no tiene relatoría.")
    record.closed_at = clock.now()
    session.add(record)
    session.flush()
    return _record_public(record)


def close_records(*, session: Session, edition: Edition, principal: Principal) -> RecordsClosure:
    """Close the edition's records (idempotent: closing twice keeps the first date)."""
    closure = session.get(RecordsClosure, edition.id)
    if closure is None:
        closure = RecordsClosure(
            edition_id=edition.id,  # type: ignore[arg-type]
            closed_at=clock.now(),
            closed_by=principal.name[:120],
        )
        session.add(closure)
        session.flush()
    return closure


# --------------------------------------------------------------------------- commitments


def _event(
    *,
    session: Session,
    commitment: Commitment,
    kind: EventKind,
    principal: Principal,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    evidence: str | None = None,
    changes: dict[str, Any] | None = None,
) -> CommitmentEvent:
    event = CommitmentEvent(
        commitment_id=commitment.id,  # type: ignore[arg-type]
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note,
        evidence=evidence,
        changes=changes or {},
        actor_key_id=principal.key_id,
        actor_name=principal.name[:120],
        actor_role=str(principal.role),
        at=clock.now(),
    )
    session.add(event)
    return event


def _check_parties(
    *,
    session: Session,
    sector_id: int | None,
    delegation_id: int | None,
    meeting: ScheduledMeeting | None,
) -> None:
    if sector_id is None and delegation_id is None:
        raise Invalid("El compromiso necesita un responsable: un sector, una delegación o ambos.")
    if meeting is not None:
        if sector_id is not None and sector_id not in meeting.sector_ids:
            raise Invalid(f"El sector {sector_id} no participa en la reunión {meeting.request_id}.")
        if delegation_id is not None and delegation_id != meeting.delegation_id:
            raise Invalid(
                f"La delegación {delegation_id} no participa en la reunión {meeting.request_id}."
            )
        return
    if sector_id is not None and session.get(Sector, sector_id) is None:
        raise Invalid(f"No existe el sector {sector_id}.")
    if delegation_id is not None and session.get(Delegation, delegation_id) is None:
        raise Invalid(f"No existe la delegación {delegation_id}.")


def _check_topic(
    *, session: Session, topic_id: int | None, meeting: ScheduledMeeting | None
) -> str | None:
    """The topic's CUI (a default for the commitment's); the topic must be the meeting's."""
    if topic_id is None:
        return None
    if meeting is None or topic_id not in meeting.topic_ids:
        raise Invalid(f"El tema {topic_id} no se trató en esta reunión.")
    topic = session.get(Topic, topic_id)
    return topic.cui if topic is not None else None


EVIDENCE_NEEDED = (
    "Para marcar un compromiso como ejecutado adjunte la evidencia (campo evidence: un "
    "enlace o una nota) o agregue antes un enlace, un archivo o una nota como evidencia."
)


def has_evidence(*, session: Session, commitment: Commitment) -> bool:
    """Whether evidence (a link, a file or a note) is attached to the commitment."""
    attached = session.exec(
        select(CommitmentEvidence.id).where(CommitmentEvidence.commitment_id == commitment.id)
    ).first()
    return attached is not None


def is_link(text: str) -> bool:
    """Whether an evidence text is a link (an http(s) address without spaces)."""
    return text.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in text)


def attach_evidence(
    *,
    session: Session,
    commitment_id: int,
    principal: Principal,
    now: dt.datetime,
    **fields: Any,
) -> CommitmentEvidence:
    """Store one piece of evidence (`url`, a file's columns, and/or `note`): the one place
    evidence is kept, whichever route or form it came through."""
    row = CommitmentEvidence(
        commitment_id=commitment_id, added_by=principal.name[:120], added_at=now, **fields
    )
    session.add(row)
    session.flush()
    return row


def attach_text(
    *,
    session: Session,
    commitment_id: int,
    text: str,
    principal: Principal,
    now: dt.datetime,
    note: str | None = None,
) -> CommitmentEvidence:
    """Evidence given as one text (the `evidence` field): a link, with `note` beside it, or
    else a note (with `note` appended)."""
    if is_link(text):
        return attach_evidence(
            session=session,
            commitment_id=commitment_id,
            principal=principal,
            now=now,
            url=text,
            note=note,
        )
    full = text if note is None else f"{text} — {note}"
    return attach_evidence(
        session=session,
        commitment_id=commitment_id,
        principal=principal,
        now=now,
        note=full[:NOTE_MAX],
    )


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def _check_deadline(deadline: dt.date | None) -> None:
    """A deadline set through the API is not in the past (Lima's today)."""
    if deadline is not None and deadline < today():
        raise Invalid(
            f"El plazo {deadline:%d/%m/%Y} ya pasó: indique una fecha desde hoy "
            f"({today():%d/%m/%Y})."
        )


def _insert(
    *,
    session: Session,
    fields_in: CommitmentFields,
    edition: Edition | None,
    meeting: ScheduledMeeting | None,
    principal: Principal,
    status: CommitmentStatus = S.pending,
    evidence: str | None = None,
) -> Commitment:
    _check_deadline(fields_in.deadline)
    if status == S.executed and evidence is None:
        raise Invalid(EVIDENCE_NEEDED)
    _check_parties(
        session=session,
        sector_id=fields_in.sector_id,
        delegation_id=fields_in.delegation_id,
        meeting=meeting,
    )
    topic_cui = _check_topic(session=session, topic_id=fields_in.topic_id, meeting=meeting)
    now = clock.now()
    commitment = Commitment(
        source=CommitmentSource.recorded,
        edition_id=edition.id if edition else None,
        edition_label=edition.name if edition else None,
        request_id=meeting.request_id if meeting else None,
        topic_id=fields_in.topic_id,
        cui=fields_in.cui or topic_cui,
        description=fields_in.description,
        sector_id=fields_in.sector_id,
        delegation_id=fields_in.delegation_id,
        type=fields_in.type,
        deadline=fields_in.deadline,
        amount=fields_in.amount,
        status=status,
        executed_at=today() if status == S.executed else None,
        status_changed_at=now,
        created_at=now,
        created_by=principal.name[:120],
        updated_at=now,
    )
    session.add(commitment)
    session.flush()
    _event(
        session=session,
        commitment=commitment,
        kind=EventKind.created,
        principal=principal,
        to_status=str(status),
        evidence=evidence,
    )
    if evidence is not None:
        attach_text(
            session=session,
            commitment_id=commitment.id,  # type: ignore[arg-type]
            text=evidence,
            principal=principal,
            now=now,
        )
    session.flush()
    return commitment


def create_meeting_commitment(
    *,
    session: Session,
    edition: Edition,
    request_id: int,
    commitment_in: CommitmentFields,
    principal: Principal,
) -> CommitmentPublic:
    """A commitment agreed in a published meeting (its rapporteur or the SD)."""
    meeting = meeting_for(
        session=session, edition=edition, request_id=request_id, principal=principal, write=True
    )
    c = _insert(
        session=session,
        fields_in=commitment_in,
        edition=edition,
        meeting=meeting,
        principal=principal,
    )
    return to_public(session=session, commitments=[c])[0]


def create_commitment(
    *, session: Session, commitment_in: CommitmentCreate, principal: Principal
) -> CommitmentPublic:
    """SD: a commitment in a meeting (edition_id + request_id), an edition, or neither."""
    edition = meeting = None
    if commitment_in.edition_id is not None:
        edition = session.get(Edition, commitment_in.edition_id)
        if edition is None:
            raise Invalid(f"No existe la edición {commitment_in.edition_id}.")
        if commitment_in.request_id is not None:
            try:
                meeting = published_meeting(
                    session=session, edition=edition, request_id=commitment_in.request_id
                )
            except NotFound as exc:
                raise Invalid(exc.detail) from exc
    c = _insert(
        session=session,
        fields_in=commitment_in,
        edition=edition,
        meeting=meeting,
        principal=principal,
        status=commitment_in.status,
        evidence=_clean(commitment_in.evidence),
    )
    return to_public(session=session, commitments=[c])[0]


def meeting_commitments(
    *, session: Session, edition: Edition, request_id: int, principal: Principal
) -> list[CommitmentPublic]:
    """The commitments agreed in a published meeting (its rapporteur or the SD)."""
    meeting_for(
        session=session, edition=edition, request_id=request_id, principal=principal, write=False
    )
    rows = session.exec(
        select(Commitment)
        .where(Commitment.edition_id == edition.id, Commitment.request_id == request_id)
        .order_by(col(Commitment.id))
    ).all()
    return to_public(session=session, commitments=rows)


def get_commitment(
    *, session: Session, commitment_id: int, principal: Principal, action: Action = "read"
) -> Commitment:
    """The commitment if the caller may `action` it; otherwise the same 404 as a missing one.

    read: SD, the responsible sector or delegation, the meeting's rapporteur.
    edit: SD, the meeting's rapporteur (409 once the records are closed).
    status: SD, the responsible sector or delegation.
    """
    c = session.get(Commitment, commitment_id)
    if c is None:
        raise _missing_commitment(commitment_id)
    if principal.is_sd:
        return c
    party = principal.acts_for(delegation_id=c.delegation_id, sector_id=c.sector_id)
    own_meeting = _is_own_meeting(
        session=session, principal=principal, edition_id=c.edition_id, request_id=c.request_id
    )
    allowed = {"read": party or own_meeting, "edit": own_meeting, "status": party}[action]
    if not allowed:
        raise _missing_commitment(commitment_id)
    if action == "edit" and records_closed(session=session, edition_id=c.edition_id):  # type: ignore[arg-type]
        raise _closed_conflict()
    return c


def read_commitment(
    *, session: Session, commitment_id: int, principal: Principal
) -> CommitmentPublic:
    """A commitment the caller may read, with its parties' codes."""
    c = get_commitment(session=session, commitment_id=commitment_id, principal=principal)
    return to_public(session=session, commitments=[c])[0]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def update_commitment(
    *, session: Session, commitment_id: int, update_in: CommitmentUpdate, principal: Principal
) -> CommitmentPublic:
    """Edit fields (not the status): the SD, or the meeting's rapporteur until the records
    close; the changes are kept in the history."""
    commitment = get_commitment(
        session=session, commitment_id=commitment_id, principal=principal, action="edit"
    )
    data = update_in.model_dump(exclude_unset=True)
    meeting = None
    if commitment.edition_id is not None and commitment.request_id is not None:
        edition = session.get(Edition, commitment.edition_id)
        if edition is not None:
            meeting = current_meetings_by_request(session=session, edition=edition).get(
                commitment.request_id
            )
    changes: dict[str, Any] = {}
    for name, value in data.items():
        old = getattr(commitment, name)
        if old != value:
            changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(commitment, name, value)
    if not changes:
        return to_public(session=session, commitments=[commitment])[0]
    if "sector_id" in changes or "delegation_id" in changes:
        _check_parties(
            session=session,
            sector_id=commitment.sector_id,
            delegation_id=commitment.delegation_id,
            meeting=meeting,
        )
    if "topic_id" in changes:
        _check_topic(session=session, topic_id=commitment.topic_id, meeting=meeting)
    if "deadline" in changes:
        _check_deadline(commitment.deadline)
    if not commitment.description or len(commitment.description) < 3:
        raise Invalid("La descripción del compromiso no puede quedar vacía.")
    if commitment.type == CommitmentType.budgetary and commitment.amount is None:
        raise Invalid("Un compromiso presupuestal necesita su monto en soles.")
    commitment.updated_at = clock.now()
    session.add(commitment)
    _event(
        session=session,
        commitment=commitment,
        kind=EventKind.edited,
        principal=principal,
        changes=changes,
    )
    session.flush()
    return to_public(session=session, commitments=[commitment])[0]


def change_status(
    *, session: Session, commitment_id: int, change_in: StatusChangeIn, principal: Principal
) -> CommitmentPublic:
    """Move a commitment along its status graph (the responsible party or the SD; 409 if
    illegal) and keep the history."""
    commitment = get_commitment(
        session=session, commitment_id=commitment_id, principal=principal, action="status"
    )
    current, to = S(commitment.status), S(change_in.to)
    allowed = set(TRANSITIONS[current])
    if principal.is_sd and current in FINAL_STATUSES:
        allowed |= REOPEN
    if to not in allowed:
        if current in FINAL_STATUSES:
            detail = f"El compromiso está {STATUS_ES[current]}: es un estado final" + (
                "." if principal.is_sd else "; solo la SD puede reabrirlo."
            )
        else:
            detail = f"El compromiso no puede pasar de «{STATUS_ES[current]}» a «{STATUS_ES[to]}»."
        raise Conflict(detail, current=current.value, allowed=sorted(s.value for s in allowed))
    note, evidence = _clean(change_in.note), _clean(change_in.evidence)
    if note is None and (to == S.cancelled or current in FINAL_STATUSES):
        what = "cancelar" if to == S.cancelled else "reabrir"
        raise Invalid(f"Para {what} un compromiso indique el motivo (campo note).")
    if (
        to == S.executed
        and evidence is None
        and not has_evidence(session=session, commitment=commitment)
    ):
        raise Invalid(EVIDENCE_NEEDED)
    now = clock.now()
    commitment.status = to
    commitment.status_changed_at = now
    commitment.updated_at = now
    commitment.executed_at = today() if to == S.executed else None
    session.add(commitment)
    _event(
        session=session,
        commitment=commitment,
        kind=EventKind.status,
        principal=principal,
        from_status=current.value,
        to_status=to.value,
        note=note,
        evidence=evidence,
    )
    if evidence is not None:
        attach_text(
            session=session,
            commitment_id=commitment.id,  # type: ignore[arg-type]
            text=evidence,
            principal=principal,
            now=now,
        )
    session.flush()
    return to_public(session=session, commitments=[commitment])[0]


def add_evidence(
    *, session: Session, commitment_id: int, evidence_in: EvidenceIn, principal: Principal
) -> CommitmentEvent:
    """Evidence as one text (a link or a note) at any status, final ones included, by whoever
    may change the status (the responsible party or the SD): stored like every other
    evidence, and answered as the history event it also writes (the deprecated route's
    shape)."""
    commitment = get_commitment(
        session=session, commitment_id=commitment_id, principal=principal, action="status"
    )
    evidence = _clean(evidence_in.evidence)
    if evidence is None:
        raise Invalid("La evidencia no puede estar vacía (un enlace o una nota).")
    now = clock.now()
    note = _clean(evidence_in.note)
    attach_text(
        session=session,
        commitment_id=commitment_id,
        text=evidence,
        principal=principal,
        now=now,
        note=note,
    )
    commitment.updated_at = now
    session.add(commitment)
    event = _event(
        session=session,
        commitment=commitment,
        kind=EventKind.evidence,
        principal=principal,
        note=note,
        evidence=evidence,
    )
    session.flush()
    return event


def history(*, session: Session, commitment_id: int, principal: Principal) -> list[CommitmentEvent]:
    """Every change of a commitment the caller may read, oldest first."""
    commitment = get_commitment(session=session, commitment_id=commitment_id, principal=principal)
    return list(
        session.exec(
            select(CommitmentEvent)
            .where(CommitmentEvent.commitment_id == commitment.id)
            .order_by(col(CommitmentEvent.at), col(CommitmentEvent.id))
        ).all()
    )


# --------------------------------------------------------------------------- reads


def to_public(*, session: Session, commitments: Sequence[Commitment]) -> list[CommitmentPublic]:
    """Public views with the parties' codes and the computed `overdue` flag."""
    sector_ids = {c.sector_id for c in commitments if c.sector_id}
    delegation_ids = {c.delegation_id for c in commitments if c.delegation_id}
    sectors = dict(
        session.exec(select(Sector.id, Sector.code).where(col(Sector.id).in_(sector_ids))).all()
    )
    delegations = dict(
        session.exec(
            select(Delegation.id, Delegation.code).where(col(Delegation.id).in_(delegation_ids))
        ).all()
    )
    on = today()
    return [
        CommitmentPublic.model_validate(
            c,
            update={
                "sector_code": sectors.get(c.sector_id),
                "delegation_code": delegations.get(c.delegation_id),
                "overdue": is_overdue(c, on),
            },
        )
        for c in commitments
    ]


@dataclass(frozen=True)
class Filters:
    edition_id: int | None = None
    sector_id: int | None = None
    delegation_id: int | None = None
    status: tuple[CommitmentStatus, ...] = ()
    type: CommitmentType | None = None
    overdue: bool | None = None
    open: bool | None = None
    source: CommitmentSource | None = None


def scoped(query: Any, *, principal: Principal) -> Any:
    """Restrict a commitment query to what the caller may read."""
    if principal.is_rapporteur:
        own = select(RapporteurAssignment.id).where(
            RapporteurAssignment.key_id == principal.key_id,
            RapporteurAssignment.edition_id == Commitment.edition_id,
            RapporteurAssignment.request_id == Commitment.request_id,
        )
        return query.where(own.exists())
    return query.where(
        principal.scope(delegation=Commitment.delegation_id, sector=Commitment.sector_id)
    )


def _filtered(query: Any, filters: Filters, on: dt.date) -> Any:
    if filters.edition_id is not None:
        query = query.where(Commitment.edition_id == filters.edition_id)
    if filters.sector_id is not None:
        query = query.where(Commitment.sector_id == filters.sector_id)
    if filters.delegation_id is not None:
        query = query.where(Commitment.delegation_id == filters.delegation_id)
    if filters.status:
        query = query.where(col(Commitment.status).in_([s.value for s in filters.status]))
    if filters.type is not None:
        query = query.where(Commitment.type == filters.type)
    if filters.source is not None:
        query = query.where(Commitment.source == filters.source)
    if filters.open is not None:
        is_open = col(Commitment.status).in_([s.value for s in OPEN_STATUSES])
        query = query.where(is_open if filters.open else sa.not_(is_open))
    if filters.overdue is not None:
        clause = overdue_clause(on)
        query = query.where(clause if filters.overdue else sa.not_(clause))
    return query


def list_commitments(
    *, session: Session, principal: Principal, filters: Filters, page: Pagination
) -> Page[CommitmentPublic]:
    """Commitments the caller may read, filtered; by deadline (none last), then id."""
    query = _filtered(scoped(select(Commitment), principal=principal), filters, today())
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(
            col(Commitment.deadline).is_(None), col(Commitment.deadline), col(Commitment.id)
        )
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    return Page(
        items=to_public(session=session, commitments=rows),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


# --------------------------------------------------------------------------- summary

GroupBy = Literal["sector", "delegation", "type", "edition"]


def _pct(part: int, total: int) -> float:
    return round(100.0 * part / total, 1) if total else 0.0


def _row(key: str, name: str, counts: Counter[str], overdue: int) -> SummaryRow:
    total = sum(counts.values())
    return SummaryRow(
        key=key,
        name=name,
        total=total,
        executed=counts[S.executed],
        in_process=counts[S.in_process],
        pending=counts[S.pending],
        cancelled=counts[S.cancelled],
        overdue=overdue,
        pct_executed=_pct(counts[S.executed], total),
        pct_in_process=_pct(counts[S.in_process], total),
        pct_pending=_pct(counts[S.pending], total),
        pct_cancelled=_pct(counts[S.cancelled], total),
    )


def summary(
    *,
    session: Session,
    principal: Principal,
    edition_id: int | None,
    group_by: GroupBy | None,
) -> SummaryPublic:
    """Counts and percentages by status (+ overdue), overall and per group, in scope
    (rapporteurs get none: 404)."""
    if principal.is_rapporteur:
        raise NotFound("El recurso solicitado no existe.")
    on = today()
    key_cols: list[Any] = {
        None: [],
        "sector": [col(Commitment.sector_id)],
        "delegation": [col(Commitment.delegation_id)],
        "type": [col(Commitment.type)],
        "edition": [col(Commitment.edition_id), col(Commitment.edition_label)],
    }[group_by]
    overdue = sa.func.sum(sa.case((overdue_clause(on), 1), else_=0))
    query = select(*key_cols, col(Commitment.status), func.count(), overdue).group_by(
        *key_cols, col(Commitment.status)
    )
    query = scoped(query, principal=principal)
    if edition_id is not None:
        query = query.where(Commitment.edition_id == edition_id)
    counts: dict[tuple, Counter[str]] = defaultdict(Counter)
    late: Counter[tuple] = Counter()
    total_counts: Counter[str] = Counter()
    total_late = 0
    for row in session.exec(query).all():
        *key, status, n, n_late = row
        counts[tuple(key)][status] += n
        late[tuple(key)] += int(n_late or 0)
        total_counts[status] += n
        total_late += int(n_late or 0)
    labels = _labels(session=session, group_by=group_by, keys=list(counts))
    groups = [_row(*labels[k], counts[k], late[k]) for k in counts] if group_by else []
    groups.sort(key=lambda r: (-r.total, r.key))
    return SummaryPublic(
        edition_id=edition_id,
        group_by=group_by,
        as_of=on,
        total=_row("total", "Total", total_counts, total_late),
        groups=groups,
    )


def _labels(
    *, session: Session, group_by: GroupBy | None, keys: list[tuple]
) -> dict[tuple, tuple[str, str]]:
    if group_by == "sector":
        ids = {k[0] for k in keys if k[0] is not None}
        rows = session.exec(select(Sector).where(col(Sector.id).in_(ids))).all()
        by_id = {s.id: (s.code, s.name) for s in rows}
        return {k: by_id.get(k[0], ("-", "Sin sector responsable")) for k in keys}
    if group_by == "delegation":
        ids = {k[0] for k in keys if k[0] is not None}
        rows = session.exec(select(Delegation).where(col(Delegation.id).in_(ids))).all()
        by_id = {d.id: (d.code, d.name) for d in rows}
        return {k: by_id.get(k[0], ("-", "Sin delegación responsable")) for k in keys}
    if group_by == "type":
        return {k: (str(k[0]), TYPE_ES[CommitmentType(k[0])].capitalize()) for k in keys}
    if group_by == "edition":
        return {
            k: (str(k[0]) if k[0] is not None else (k[1] or "-"), k[1] or "Sin edición")
            for k in keys
        }
    return dict.fromkeys(keys, ("total", "Total"))


# --------------------------------------------------------------------------- agendas


@dataclass(frozen=True)
class OpenCommitment:
    """An open commitment as an agenda lists it."""

    description: str
    responsible: str
    deadline: dt.date | None
    in_process: bool


def open_for_agenda(
    *, session: Session, sector_id: int, delegation_id: int, limit: int = 50
) -> list[OpenCommitment]:
    """Open commitments (pending / in process, from any earlier edition or the imported
    history) of a sector with a delegation, for that pair's agenda: oldest deadline first."""
    rows = session.exec(
        select(Commitment, Sector.code, Delegation.name)
        .join(Sector, col(Sector.id) == col(Commitment.sector_id))
        .join(Delegation, col(Delegation.id) == col(Commitment.delegation_id))
        .where(
            Commitment.sector_id == sector_id,
            Commitment.delegation_id == delegation_id,
            col(Commitment.status).in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(col(Commitment.deadline).is_(None), col(Commitment.deadline), col(Commitment.id))
        .limit(limit)
    ).all()
    out = []
    for c, sector_code, delegation_name in rows:
        origin = f" ({c.edition_label})" if c.edition_label else ""
        out.append(
            OpenCommitment(
                description=f"{c.description}{origin}"[:2000],
                responsible=f"{sector_code} y {delegation_name}"[:300],
                deadline=c.deadline,
                in_process=c.status == S.in_process,
            )
        )
    return out


# --------------------------------------------------------------------------- bulk


def bulk_insert(
    *,
    session: Session,
    rows: list[dict[str, Any]],
    batch: CommitmentImport,
    actor_name: str,
    actor_role: str,
    actor_key_id: int | None,
) -> int:
    """Insert imported commitments (executemany) and one `imported` event each."""
    now = clock.now()
    session.add(batch)
    session.flush()
    base = {
        "source": CommitmentSource.imported.value,
        "import_id": batch.id,
        "request_id": None,
        "topic_id": None,
        "status_changed_at": now,
        "created_at": now,
        "created_by": actor_name[:120],
        "updated_at": now,
    }
    table = Commitment.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), 5000):
        chunk = [base | r for r in rows[start : start + 5000]]
        session.execute(sa.insert(table), chunk)
    ids = session.exec(
        select(Commitment.id, Commitment.status).where(Commitment.import_id == batch.id)
    ).all()
    events = [
        {
            "commitment_id": cid,
            "kind": EventKind.imported.value,
            "from_status": None,
            "to_status": status,
            "note": f"Importado del archivo {batch.filename}"[:2000],
            "evidence": None,
            "changes": {},
            "actor_key_id": actor_key_id,
            "actor_name": actor_name[:120],
            "actor_role": actor_role,
            "at": now,
        }
        for cid, status in ids
    ]
    event_table = CommitmentEvent.__table__  # type: ignore[attr-defined]
    for start in range(0, len(events), 5000):
        session.execute(sa.insert(event_table), events[start : start + 5000])
    session.flush()
    return len(ids)
