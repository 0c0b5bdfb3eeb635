"""Agendas from the database: the colleague's render model (`app.agendas.render.model.Agenda`)
built from a published schedule version.

`load_context` reads everything a version's agendas need in a handful of queries (meetings
of every version up to N for the iCalendar SEQUENCE and cancellations, rooms, parties,
topics with their ranks); `build_agenda` then cuts one agenda out of it without touching
the database, so publishing 45 agendas costs the queries once.

Decisions:
- a meeting is named by its request id, as in solve runs and commitments; the iCalendar
  UID `<edition code>-r<request id>@articula.pe` is stable across versions; the edition
  code is `gore-<id>` / `muni-<id>`.
- SEQUENCE = the number of versions in which the meeting changed (time, room, delegation or
  sectors); a removal counts as a change, so the CANCELLED event outranks the last one sent.
- cancelled events: every meeting that belonged to the agenda's owner in some earlier
  version and does not in version N (not only the previous version: a calendar that missed
  a version still drops the event).
- topics: the request's topics in priority order, by their rank for the agenda's sector
  (other agendas: the best rank among the meeting's sectors), renumbered 1..n.
- generated_at is the version's publication time, so a version always renders the same.
- changes: from version 2 on, a meeting absent from version N-1 is `added` and one whose
  time or room differs from N-1 is `moved` (with its previous start and room), so the
  documents mark what a re-plan changed.
- open commitments: per meeting and sector, the COMMITMENTS_SHOWN most recent open ones
  (latest deadline first, undated last); the older ones are counted, not listed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from sqlmodel import Session, col, select

from app.agendas.render.model import (
    Agenda,
    AgendaCommitment,
    AgendaDelegation,
    AgendaMeeting,
    AgendaSector,
    AgendaTopic,
    CancelledMeeting,
)
from app.commitments.service import open_for_agenda
from app.editions.models import AuthorityTitle, Delegation, Edition, EditionKind, Room, Sector
from app.scheduling.versions import ScheduledMeeting, ScheduleVersion
from app.submissions.models import Topic, TopicSector

OwnerKind = Literal["sector", "delegation", "room", "edition"]
AUTHORITY_TITLES_ES = {
    AuthorityTitle.governor: "Gobernador(a) regional",
    AuthorityTitle.mayor: "Alcalde(sa)",
}
_CUI = re.compile(r"^\d{7}$")
COMMITMENTS_SHOWN = 5
_EVERY_OPEN = 10_000


# --------------------------------------------------------------------------- commitments


def open_commitments_for(
    *, session: Session, sector_id: int, delegation_id: int
) -> list[AgendaCommitment]:
    """Open commitments (pending / in process) between a sector and a delegation, from
    earlier editions and the imported history, most recent deadline first (undated last)."""
    found = [
        AgendaCommitment(
            description=c.description,
            responsible=c.responsible,
            deadline=c.deadline,
            status="in_progress" if c.in_process else "pending",
        )
        for c in open_for_agenda(
            session=session, sector_id=sector_id, delegation_id=delegation_id, limit=_EVERY_OPEN
        )
    ]
    dated = sorted((c for c in found if c.deadline), key=lambda c: c.deadline, reverse=True)  # type: ignore[arg-type,return-value]
    return dated + [c for c in found if c.deadline is None]


# --------------------------------------------------------------------------- versions


def edition_code(edition: Edition) -> str:
    """`gore-12`: the code in iCalendar UIDs and file names."""
    prefix = "muni" if edition.kind == EditionKind.MUNI else "gore"
    return f"{prefix}-{edition.id}"


def signature(m: ScheduledMeeting) -> tuple:
    """What makes a meeting 'the same' across versions (a change raises its SEQUENCE)."""
    return (m.room_id, m.starts_at, m.ends_at, m.delegation_id, tuple(sorted(m.sector_ids)))


def belongs(m: ScheduledMeeting, kind: OwnerKind, owner_id: int | None) -> bool:
    if kind == "sector":
        return owner_id in m.sector_ids
    if kind == "delegation":
        return m.delegation_id == owner_id
    if kind == "room":
        return m.room_id == owner_id
    return True


# --------------------------------------------------------------------------- context


@dataclass
class AgendaContext:
    """Everything the agendas of one version need, read once."""

    edition: Edition
    version: ScheduleVersion
    meetings: list[ScheduledMeeting]
    # request id -> (sequence at N, last snapshot at or before N, snapshots by version number)
    sequence: dict[int, int]
    history: dict[int, dict[int, ScheduledMeeting]]
    rooms: dict[int, Room]
    delegations: dict[int, Delegation]
    sectors: dict[int, Sector]
    topics: dict[int, Topic]
    ranks: dict[int, dict[int, int]]  # topic id -> sector id -> rank
    commitments: dict[tuple[int, int], list[AgendaCommitment]] = field(default_factory=dict)


def load_context(
    *,
    session: Session,
    edition: Edition,
    version: ScheduleVersion,
    pending: Sequence[ScheduledMeeting] | None = None,
) -> AgendaContext:
    """Read a version, its predecessors' meetings and every referenced row.

    `pending`: the meetings of `version` when neither is written yet (a publication renders
    its agendas before its first write, so the write transaction stays short); only the
    earlier versions are then read from the database."""
    upto = version.number - 1 if pending is not None else version.number
    rows: list[tuple[int, ScheduledMeeting]] = [
        (number, m)
        for number, m in session.exec(
            select(ScheduleVersion.number, ScheduledMeeting)
            .join(ScheduledMeeting, col(ScheduledMeeting.version_id) == col(ScheduleVersion.id))
            .where(ScheduleVersion.edition_id == edition.id, ScheduleVersion.number <= upto)
            .order_by(col(ScheduleVersion.number))
        ).all()
    ]
    if pending is not None:
        rows += [(version.number, m) for m in pending]
    history: dict[int, dict[int, ScheduledMeeting]] = defaultdict(dict)
    for number, m in rows:
        history[m.request_id][number] = m
    sequence: dict[int, int] = {}
    for request_id, snaps in history.items():
        seq, seen, last = 0, False, None
        for number in range(1, version.number + 1):
            sig = signature(snaps[number]) if number in snaps else None
            if seen and sig != last:
                seq += 1
            seen = seen or sig is not None
            last = sig
        sequence[request_id] = seq
    meetings = [m for _n, m in rows if _n == version.number]
    meetings.sort(key=lambda m: (m.starts_at, m.room_id, m.request_id))
    every = [m for snaps in history.values() for m in snaps.values()]
    sector_ids = {s for m in every for s in m.sector_ids}
    topic_ids = {t for m in meetings for t in m.topic_ids}
    rooms = {r.id: r for r in session.exec(select(Room).where(Room.edition_id == edition.id))}
    delegations = {
        d.id: d
        for d in session.exec(
            select(Delegation).where(col(Delegation.id).in_({m.delegation_id for m in every}))
        )
    }
    sectors = {s.id: s for s in session.exec(select(Sector).where(col(Sector.id).in_(sector_ids)))}
    topics: dict[int, Topic] = {}
    ranks: dict[int, dict[int, int]] = defaultdict(dict)
    if topic_ids:
        topics = {t.id: t for t in session.exec(select(Topic).where(col(Topic.id).in_(topic_ids)))}
        for ts in session.exec(select(TopicSector).where(col(TopicSector.topic_id).in_(topic_ids))):
            ranks[ts.topic_id][ts.sector_id] = ts.rank
    commitments = {
        (s, m.delegation_id): open_commitments_for(
            session=session, sector_id=s, delegation_id=m.delegation_id
        )
        for m in meetings
        for s in m.sector_ids
    }
    return AgendaContext(
        edition=edition,
        version=version,
        meetings=meetings,
        sequence=sequence,
        history=dict(history),
        rooms=rooms,  # type: ignore[arg-type]
        delegations=delegations,  # type: ignore[arg-type]
        sectors=sectors,  # type: ignore[arg-type]
        topics=topics,  # type: ignore[arg-type]
        ranks=dict(ranks),
        commitments=commitments,
    )


# --------------------------------------------------------------------------- building


def _sector(s: Sector) -> AgendaSector:
    return AgendaSector(code=s.code, name=s.name, minister=s.minister_name or "")


def _delegation(d: Delegation) -> AgendaDelegation:
    return AgendaDelegation(
        code=d.code,
        name=d.name,
        authority_title=AUTHORITY_TITLES_ES.get(AuthorityTitle(d.authority_title), ""),
        authority_name=d.authority_name or "",
    )


def _topics(
    ctx: AgendaContext, m: ScheduledMeeting, sector_id: int | None
) -> tuple[AgendaTopic, ...]:
    def rank(topic_id: int) -> int:
        by_sector = ctx.ranks.get(topic_id, {})
        if sector_id is not None and sector_id in by_sector:
            return by_sector[sector_id]
        wanted = [r for s, r in by_sector.items() if s in m.sector_ids] or list(by_sector.values())
        return min(wanted, default=10**6)

    present = [ctx.topics[t] for t in m.topic_ids if t in ctx.topics]
    ordered = sorted(present, key=lambda t: (rank(t.id or 0), t.position, t.id))
    out = []
    for i, t in enumerate(ordered, start=1):
        amount = t.amount
        if amount is not None:
            amount = Decimal(amount).quantize(Decimal("0.01"))
        out.append(
            AgendaTopic(
                rank=i,
                title=t.title,
                description=t.description or "",
                kind=t.kind,
                cui=t.cui if t.cui and _CUI.match(t.cui) else None,
                amount_soles=amount,
            )
        )
    return tuple(out)


def summary_of(ctx: AgendaContext, m: ScheduledMeeting) -> str:
    """`Gobierno Regional de Cusco – MINSA + MINEDU` (for cancelled events and e-mails)."""
    codes = " + ".join(sorted(ctx.sectors[s].code for s in m.sector_ids if s in ctx.sectors))
    return f"{ctx.delegations[m.delegation_id].name} \u2013 {codes}"


def _meeting(ctx: AgendaContext, m: ScheduledMeeting, kind: OwnerKind, owner_id: int | None):
    sectors = sorted((ctx.sectors[s] for s in m.sector_ids), key=lambda s: s.code)
    sector_id = owner_id if kind == "sector" else None
    commitments: list[AgendaCommitment] = []
    more = 0
    if kind in ("sector", "delegation"):
        for s in sectors:
            if kind == "sector" and s.id != owner_id:
                continue
            found = ctx.commitments.get((s.id or 0, m.delegation_id), [])
            commitments.extend(found[:COMMITMENTS_SHOWN])
            more += max(len(found) - COMMITMENTS_SHOWN, 0)
    change, previous_start, previous_room = None, None, None
    n = ctx.version.number
    if n > 1:
        before = ctx.history.get(m.request_id, {}).get(n - 1)
        if before is None:
            change = "added"
        elif (before.room_id, before.starts_at, before.ends_at) != (
            m.room_id,
            m.starts_at,
            m.ends_at,
        ):
            change = "moved"
            previous_start = before.starts_at
            previous_room = ctx.rooms[before.room_id].name if before.room_id in ctx.rooms else None
    return AgendaMeeting(
        request_id=m.request_id,
        start=m.starts_at,
        end=m.ends_at,
        room=ctx.rooms[m.room_id].name,
        delegation=_delegation(ctx.delegations[m.delegation_id]),
        sectors=tuple(_sector(s) for s in sectors),
        topics=_topics(ctx, m, sector_id),
        open_commitments=tuple(commitments),
        more_commitments=more,
        sequence=ctx.sequence.get(m.request_id, 0),
        change=change,
        previous_start=previous_start,
        previous_room=previous_room,
    )


def _cancelled(ctx: AgendaContext, kind: OwnerKind, owner_id: int | None) -> list[CancelledMeeting]:
    n = ctx.version.number
    out = []
    for request_id, snaps in ctx.history.items():
        if n in snaps and belongs(snaps[n], kind, owner_id):
            continue
        earlier = [snaps[v] for v in sorted(snaps) if v < n and belongs(snaps[v], kind, owner_id)]
        if not earlier:
            continue
        last = earlier[-1]
        out.append(
            CancelledMeeting(
                request_id=request_id,
                start=last.starts_at,
                end=last.ends_at,
                sequence=ctx.sequence.get(request_id, 0),
                summary=summary_of(ctx, last)[:300],
            )
        )
    return sorted(out, key=lambda c: (c.start, c.request_id))


def owner_label(ctx: AgendaContext, kind: OwnerKind, owner_id: int | None) -> tuple[str, str]:
    """(code, name) of an agenda's owner; the code goes into file names."""
    if kind == "sector":
        s = ctx.sectors.get(owner_id or 0)
        return (s.code, s.name) if s else ("?", "?")
    if kind == "delegation":
        d = ctx.delegations.get(owner_id or 0)
        return (d.code, d.name) if d else ("?", "?")
    if kind == "room":
        room = ctx.rooms[owner_id or 0]
        return (f"sala-{room.id}", room.name)
    return (edition_code(ctx.edition), ctx.edition.name)


def build_agenda(
    ctx: AgendaContext,
    *,
    kind: OwnerKind,
    owner_id: int | None = None,
    owner: tuple[str, str] | None = None,
) -> Agenda:
    """One agenda of the context's version: a sector's, a delegation's, a room's or the grid."""
    code, name = owner or owner_label(ctx, kind, owner_id)
    meetings = [m for m in ctx.meetings if belongs(m, kind, owner_id)]
    return Agenda(
        edition_code=edition_code(ctx.edition),
        edition_name=ctx.edition.name,
        edition_venue=ctx.edition.venue or "",
        summit="muni" if ctx.edition.kind == EditionKind.MUNI else "gore",
        kind=kind,
        owner_code=code,
        owner_name=name,
        version=ctx.version.number,
        generated_at=ctx.version.published_at,
        meetings=tuple(_meeting(ctx, m, kind, owner_id) for m in meetings),
        cancelled=tuple(_cancelled(ctx, kind, owner_id)),
    )
