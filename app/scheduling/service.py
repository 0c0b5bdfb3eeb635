"""Meeting requests: generation from accepted topics, SD edits, merge and withdrawal.

Decisions (see also docs in the router):
- One request per (delegation, sector) for the accepted single-sector topics, and one
  multisector request per (delegation, set of sectors) for the accepted multisector topics
  with exactly that set; a multisector topic does not also feed the single-sector requests.
- weight = sum over the request's topics of max(1, RANK_HORIZON + 1 - rank), where rank is
  the topic's best (lowest) rank among the request's sectors after SD re-ranking; with
  RANK_HORIZON = 10 a rank-1 topic counts 10, rank 10 and beyond count 1.
- duration 1 slot; attendees = ATTENDEES_PER_PARTY per party (delegation and each sector)
  + ATTENDEES_STAFF (rapporteur and SD staff).
- Regeneration replaces every request of the edition; if the SD already edited one (patch,
  merge, withdrawal) it is refused with 409 unless `replace=true`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import Page
from app.editions.models import (
    BlockKind,
    DayBlock,
    Delegation,
    Edition,
    EditionDay,
    EditionStatus,
    Room,
    Sector,
)
from app.scheduling.models import (
    MeetingRequest,
    MeetingRequestPublic,
    MeetingRequestSector,
    MeetingRequestTopic,
    MeetingRequestUpdate,
    PinPublic,
    RequestSource,
    RequestStatus,
)
from app.submissions.models import Topic, TopicListVersion, TopicSector, TopicStatus

RANK_HORIZON = 10
ATTENDEES_PER_PARTY = 3
ATTENDEES_STAFF = 2
EDITABLE = {EditionStatus.in_review, EditionStatus.scheduling}
NOT_EDITABLE = (
    "Las solicitudes de reunión solo se gestionan con la edición en revisión o en programación."
)


def topic_weight(rank: int) -> int:
    """What one topic adds to its request's weight (rank 1 = RANK_HORIZON points)."""
    return max(1, RANK_HORIZON + 1 - rank)


def estimate_attendees(n_sectors: int) -> int:
    """People in the room: each party's team plus the rapporteur and SD staff."""
    return ATTENDEES_PER_PARTY * (1 + n_sectors) + ATTENDEES_STAFF


def _require_editable(edition: Edition) -> None:
    if edition.status not in EDITABLE:
        raise Conflict(NOT_EDITABLE)


# --------------------------------------------------------------------------- grid


@dataclass(frozen=True)
class GridSlot:
    index: int
    date: dt.date
    start: dt.time
    block_id: int
    position: int
    block_slots: int


def bilateral_grid(*, session: Session, edition: Edition) -> list[GridSlot]:
    """Slots of the bilateral blocks, numbered globally from 0 by day then start time (the
    solver's `TimeGrid` order)."""
    rows = session.exec(
        select(EditionDay.date, DayBlock)
        .join(DayBlock, col(DayBlock.day_id) == col(EditionDay.id))
        .where(EditionDay.edition_id == edition.id, DayBlock.kind == BlockKind.bilateral)
        .order_by(col(EditionDay.position), col(DayBlock.start_time))
    ).all()
    out: list[GridSlot] = []
    step = dt.timedelta(minutes=edition.slot_minutes)
    for day, block in rows:
        start = dt.datetime.combine(day, block.start_time)
        end = dt.datetime.combine(day, block.end_time)
        n = int((end - start) / step)
        for position in range(n):
            at = (start + position * step).time()
            out.append(GridSlot(len(out), day, at, block.id or 0, position, n))
    return out


def pin_slot(
    *,
    session: Session,
    edition: Edition,
    date: dt.date,
    start_time: dt.time,
    duration_slots: int,
) -> int:
    """Global start slot of a pin; 422 unless it starts on a bilateral slot and the whole
    meeting fits in the same block."""
    for slot in bilateral_grid(session=session, edition=edition):
        if slot.date == date and slot.start == start_time:
            if slot.position + duration_slots > slot.block_slots:
                raise Invalid(
                    f"La reunión de {duration_slots} turno(s) fijada a las "
                    f"{start_time:%H:%M} del {date:%d/%m/%Y} no cabe en el bloque de "
                    "bilaterales."
                )
            return slot.index
    raise Invalid(
        f"El horario fijado ({date:%d/%m/%Y} {start_time:%H:%M}) no coincide con el inicio "
        f"de un turno de {edition.slot_minutes} minutos en un bloque de bilaterales de la "
        "edición."
    )


# --------------------------------------------------------------------------- rendering


def sector_codes_by_request(
    *, session: Session, request_ids: Sequence[int]
) -> dict[int, list[str]]:
    """The sector codes of each request, alphabetically (one query)."""
    sectors: dict[int, list[str]] = defaultdict(list)
    for request_id, code in session.exec(
        select(MeetingRequestSector.request_id, Sector.code)
        .join(Sector, col(Sector.id) == col(MeetingRequestSector.sector_id))
        .where(col(MeetingRequestSector.request_id).in_(request_ids))
        .order_by(col(Sector.code))
    ).all():
        sectors[request_id].append(code)
    return sectors


def render_requests(
    *, session: Session, edition: Edition, requests: Sequence[MeetingRequest]
) -> list[MeetingRequestPublic]:
    """Public views with delegation and sector codes, topic ids and the pin's slot."""
    if not requests:
        return []
    ids = [r.id for r in requests if r.id is not None]
    sectors = sector_codes_by_request(session=session, request_ids=ids)
    topics: dict[int, list[int]] = defaultdict(list)
    for request_id, topic_id in session.exec(
        select(MeetingRequestTopic.request_id, MeetingRequestTopic.topic_id)
        .where(col(MeetingRequestTopic.request_id).in_(ids))
        .order_by(col(MeetingRequestTopic.topic_id))
    ).all():
        topics[request_id].append(topic_id)
    codes = dict(
        session.exec(
            select(Delegation.id, Delegation.code).where(
                col(Delegation.id).in_({r.delegation_id for r in requests})
            )
        ).all()
    )
    slots: dict[tuple[dt.date, dt.time], int] = {}
    if any(r.pin_date is not None for r in requests):
        slots = {
            (s.date, s.start): s.index for s in bilateral_grid(session=session, edition=edition)
        }
    out = []
    for r in requests:
        pin = None
        if r.pin_date is not None and r.pin_start_time is not None:
            pin = PinPublic(
                date=r.pin_date,
                start_time=r.pin_start_time,
                room_id=r.pin_room_id,
                slot=slots.get((r.pin_date, r.pin_start_time)),
            )
        out.append(
            MeetingRequestPublic(
                id=r.id,
                edition_id=r.edition_id,
                delegation=codes[r.delegation_id],
                sectors=sectors[r.id],
                topic_ids=topics[r.id],
                weight=r.weight,
                duration_slots=r.duration_slots,
                mandatory=r.mandatory,
                attendees=r.attendees,
                pin=pin,
                status=r.status,
                source=r.source,
                edited=r.edited,
                merged_into_id=r.merged_into_id,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
        )
    return out


# --------------------------------------------------------------------------- generation


def _delete_requests(*, session: Session, edition: Edition) -> None:
    ids = select(MeetingRequest.id).where(MeetingRequest.edition_id == edition.id)
    session.exec(  # type: ignore[call-overload]
        sa.delete(MeetingRequestTopic).where(col(MeetingRequestTopic.request_id).in_(ids))
    )
    session.exec(  # type: ignore[call-overload]
        sa.delete(MeetingRequestSector).where(col(MeetingRequestSector.request_id).in_(ids))
    )
    session.exec(  # type: ignore[call-overload]
        sa.update(MeetingRequest)
        .where(col(MeetingRequest.edition_id) == edition.id)
        .values(merged_into_id=None)
    )
    session.exec(  # type: ignore[call-overload]
        sa.delete(MeetingRequest).where(col(MeetingRequest.edition_id) == edition.id)
    )


def generate_requests(
    *, session: Session, edition: Edition, replace: bool, now: dt.datetime
) -> list[MeetingRequestPublic]:
    """Build the edition's requests from the accepted topics of the current versions."""
    _require_editable(edition)
    existing = session.exec(
        select(MeetingRequest.id, MeetingRequest.edited).where(
            MeetingRequest.edition_id == edition.id
        )
    ).all()
    if any(edited for _id, edited in existing) and not replace:
        raise Conflict(
            "El equipo SD ya modificó solicitudes de reunión de esta edición; para "
            "regenerarlas y descartar esos cambios use replace=true."
        )
    _delete_requests(session=session, edition=edition)
    rows = session.exec(
        select(Topic.id, Topic.delegation_id, TopicSector.sector_id, TopicSector.rank)
        .join(TopicSector, col(TopicSector.topic_id) == col(Topic.id))
        .join(TopicListVersion, col(TopicListVersion.id) == col(Topic.version_id))
        .where(
            Topic.edition_id == edition.id,
            Topic.status == TopicStatus.accepted,
            col(TopicListVersion.is_current).is_(True),
        )
    ).all()
    by_topic: dict[int, tuple[int, dict[int, int]]] = {}
    for topic_id, delegation_id, sector_id, rank in rows:
        by_topic.setdefault(topic_id, (delegation_id, {}))[1][sector_id] = rank
    groups: dict[tuple[int, frozenset[int]], list[tuple[int, int]]] = defaultdict(list)
    for topic_id, (delegation_id, ranks) in by_topic.items():
        groups[(delegation_id, frozenset(ranks))].append((topic_id, min(ranks.values())))
    created = []
    for (delegation_id, sector_ids), topics in sorted(
        groups.items(), key=lambda g: (g[0][0], len(g[0][1]), sorted(g[0][1]))
    ):
        request = MeetingRequest(
            edition_id=edition.id,
            delegation_id=delegation_id,
            weight=sum(topic_weight(rank) for _t, rank in topics),
            duration_slots=1,
            attendees=estimate_attendees(len(sector_ids)),
            source=RequestSource.generated,
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        session.flush()
        session.add_all(
            MeetingRequestSector(request_id=request.id, sector_id=s) for s in sorted(sector_ids)
        )
        session.add_all(
            MeetingRequestTopic(request_id=request.id, topic_id=t) for t, _r in sorted(topics)
        )
        created.append(request)
    session.flush()
    return render_requests(session=session, edition=edition, requests=created)


# --------------------------------------------------------------------------- reads


def list_requests(
    *,
    session: Session,
    edition: Edition,
    status: RequestStatus | None,
    delegation_code: str | None,
    sector_code: str | None,
    limit: int,
    offset: int,
) -> Page[MeetingRequestPublic]:
    """The edition's requests, filtered and paginated, by delegation then id."""
    query = select(MeetingRequest).where(MeetingRequest.edition_id == edition.id)
    if status is not None:
        query = query.where(MeetingRequest.status == status)
    if delegation_code is not None:
        query = query.where(
            col(MeetingRequest.delegation_id).in_(
                select(Delegation.id).where(Delegation.code == delegation_code)
            )
        )
    if sector_code is not None:
        query = query.where(
            col(MeetingRequest.id).in_(
                select(MeetingRequestSector.request_id)
                .join(Sector, col(Sector.id) == col(MeetingRequestSector.sector_id))
                .where(Sector.code == sector_code)
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    requests = session.exec(
        query.order_by(col(MeetingRequest.delegation_id), col(MeetingRequest.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return Page[MeetingRequestPublic](
        items=render_requests(session=session, edition=edition, requests=requests),
        total=total,
        limit=limit,
        offset=offset,
    )


def get_request(*, session: Session, edition: Edition, request_id: int) -> MeetingRequest:
    """A request of this edition, or 404."""
    request = session.get(MeetingRequest, request_id)
    if request is None or request.edition_id != edition.id:
        raise NotFound("El recurso solicitado no existe.")
    return request


def read_request(*, session: Session, edition: Edition, request_id: int) -> MeetingRequestPublic:
    """A request of this edition with its codes, or 404."""
    request = get_request(session=session, edition=edition, request_id=request_id)
    return render_requests(session=session, edition=edition, requests=[request])[0]


def read_requests(
    *, session: Session, edition: Edition, request_ids: Sequence[int]
) -> list[MeetingRequestPublic]:
    """The edition's requests among `request_ids` (others ignored), by id."""
    if not request_ids:
        return []
    requests = session.exec(
        select(MeetingRequest)
        .where(
            MeetingRequest.edition_id == edition.id,
            col(MeetingRequest.id).in_(set(request_ids)),
        )
        .order_by(col(MeetingRequest.id))
    ).all()
    return render_requests(session=session, edition=edition, requests=requests)


def topic_titles(*, session: Session, topic_ids: Sequence[int]) -> dict[int, str]:
    """The titles of the topics behind requests (one query)."""
    if not topic_ids:
        return {}
    return dict(
        session.exec(select(Topic.id, Topic.title).where(col(Topic.id).in_(set(topic_ids)))).all()
    )


# --------------------------------------------------------------------------- edits


def _check_room(
    *, session: Session, edition: Edition, request: MeetingRequest, room_id: int
) -> None:
    room = session.get(Room, room_id)
    if room is None or room.edition_id != edition.id:
        raise Invalid(f"La sala {room_id} no pertenece a esta edición.")
    if room.reserved_sector_id is not None:
        sector_ids = set(
            session.exec(
                select(MeetingRequestSector.sector_id).where(
                    MeetingRequestSector.request_id == request.id
                )
            ).all()
        )
        if room.reserved_sector_id not in sector_ids:
            raise Invalid(
                f"La sala {room.name} está reservada para otro sector y no puede fijarse "
                "para esta reunión."
            )


def update_request(
    *,
    session: Session,
    edition: Edition,
    request_id: int,
    request_in: MeetingRequestUpdate,
    now: dt.datetime,
) -> MeetingRequestPublic:
    """Apply the SD's changes (only the fields sent); the pin is checked against the grid."""
    request = get_request(session=session, edition=edition, request_id=request_id)
    _require_editable(edition)
    if request.status != RequestStatus.active:
        raise Conflict("La solicitud de reunión fue retirada; no puede modificarse.")
    changes = request_in.model_dump(exclude_unset=True)
    pin = (request.pin_date, request.pin_start_time, request.pin_room_id)
    if "pin" in changes:
        new = request_in.pin
        pin = (None, None, None) if new is None else (new.date, new.start_time, new.room_id)
    duration = changes.get("duration_slots", request.duration_slots)
    # Validate everything before touching the row (no autoflush of a half-made change).
    pin_date, pin_start, room_id = pin
    if pin_date is not None and pin_start is not None:
        pin_slot(
            session=session,
            edition=edition,
            date=pin_date,
            start_time=pin_start,
            duration_slots=duration,
        )
        if room_id is not None:
            _check_room(session=session, edition=edition, request=request, room_id=room_id)
    for field in ("weight", "duration_slots", "mandatory", "attendees"):
        if field in changes:
            setattr(request, field, changes[field])
    request.pin_date, request.pin_start_time, request.pin_room_id = pin
    request.edited = True
    request.updated_at = now
    session.add(request)
    session.flush()
    return render_requests(session=session, edition=edition, requests=[request])[0]


def merge_requests(
    *, session: Session, edition: Edition, request_ids: list[int], now: dt.datetime
) -> MeetingRequestPublic:
    """One multisector request from several active requests of the same delegation: union
    of sectors and topics, summed weight, longest duration; the originals are withdrawn."""
    _require_editable(edition)
    if len(set(request_ids)) != len(request_ids):
        raise Invalid("La lista de solicitudes a fusionar tiene identificadores repetidos.")
    requests = [get_request(session=session, edition=edition, request_id=i) for i in request_ids]
    if len({r.delegation_id for r in requests}) != 1:
        raise Invalid("Solo se pueden fusionar solicitudes de reunión de la misma delegación.")
    withdrawn = [r.id for r in requests if r.status != RequestStatus.active]
    if withdrawn:
        raise Conflict(f"Las solicitudes {withdrawn} fueron retiradas y no pueden fusionarse.")
    sector_ids = set(
        session.exec(
            select(MeetingRequestSector.sector_id).where(
                col(MeetingRequestSector.request_id).in_(request_ids)
            )
        ).all()
    )
    topic_ids = set(
        session.exec(
            select(MeetingRequestTopic.topic_id).where(
                col(MeetingRequestTopic.request_id).in_(request_ids)
            )
        ).all()
    )
    merged = MeetingRequest(
        edition_id=edition.id,
        delegation_id=requests[0].delegation_id,
        weight=sum(r.weight for r in requests),
        duration_slots=max(r.duration_slots for r in requests),
        mandatory=any(r.mandatory for r in requests),
        attendees=estimate_attendees(len(sector_ids)),
        source=RequestSource.merged,
        edited=True,
        created_at=now,
        updated_at=now,
    )
    session.add(merged)
    session.flush()
    session.add_all(MeetingRequestSector(request_id=merged.id, sector_id=s) for s in sector_ids)
    session.add_all(MeetingRequestTopic(request_id=merged.id, topic_id=t) for t in topic_ids)
    for r in requests:
        r.status = RequestStatus.withdrawn
        r.merged_into_id = merged.id
        r.edited = True
        r.updated_at = now
        session.add(r)
    session.flush()
    return render_requests(session=session, edition=edition, requests=[merged])[0]


def withdraw_request(
    *, session: Session, edition: Edition, request_id: int, now: dt.datetime
) -> None:
    """Withdraw a request (kept, status withdrawn); withdrawing twice is harmless."""
    request = get_request(session=session, edition=edition, request_id=request_id)
    _require_editable(edition)
    if request.status == RequestStatus.withdrawn:
        return
    request.status = RequestStatus.withdrawn
    request.edited = True
    request.updated_at = now
    session.add(request)
    session.flush()
