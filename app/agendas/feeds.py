"""A ministry's calendar subscription: an iCalendar feed behind a per-sector secret token.

Outlook, Google Calendar and Apple Calendar poll a subscribed URL and cannot send an API
key, so the token in the address is the credential: it reads one sector's agenda and
nothing else, and the ministry (or the SD) rotates it when it leaks; the old address then
answers 404. The feed holds the sector's agenda of the current published version of its
newest edition with one: the UIDs are stable per meeting, so each new version updates the
subscribed events in place (moved, cancelled) instead of duplicating them.
"""

# No `from __future__ import annotations`: SQLModel needs real annotations.
import datetime as dt
import secrets
from functools import partial

from sqlmodel import Field, Session, SQLModel, col, select

from app.access.principal import Principal
from app.agendas import formats, store
from app.agendas.documents import Document
from app.agendas.formats import AgendaFormat
from app.agendas.render.model import Agenda
from app.agendas.service import build_agenda, load_context
from app.core.errors import NotFound
from app.core.types import UTCDateTime, utcnow
from app.editions.models import Edition, EditionSector, Sector
from app.scheduling.publication import current_version
from app.scheduling.versions import ScheduleVersion

TOKEN_BYTES = 32
FEED_PATH = "/api/feeds/sectors/{token}.ics"


class SectorFeed(SQLModel, table=True):
    __tablename__ = "sector_feed"

    sector_id: int = Field(foreign_key="sector.id", ondelete="CASCADE", primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    rotated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    rotated_by: str = Field(max_length=120)


class SectorFeedPublic(SQLModel):
    sector: str
    path: str = Field(description="The feed's address on this server (keep it secret)")
    rotated_at: dt.datetime


def _no_feed() -> NotFound:
    return NotFound("No existe ese calendario.")


def _sector(*, session: Session, code: str, principal: Principal) -> Sector:
    sector = session.exec(select(Sector).where(Sector.code == code)).first()
    if sector is None or not principal.acts_for(sector_id=sector.id):
        raise _no_feed()
    return sector


def _public(sector: Sector, feed: SectorFeed) -> SectorFeedPublic:
    return SectorFeedPublic(
        sector=sector.code, path=FEED_PATH.format(token=feed.token), rotated_at=feed.rotated_at
    )


def sector_feed(
    *, session: Session, code: str, principal: Principal, now: dt.datetime
) -> SectorFeedPublic:
    """The sector's feed address (created on first use), for the sector itself or the SD."""
    sector = _sector(session=session, code=code, principal=principal)
    feed = session.get(SectorFeed, sector.id)
    if feed is None:
        feed = SectorFeed(
            sector_id=sector.id,  # type: ignore[arg-type]
            token=secrets.token_urlsafe(TOKEN_BYTES),
            rotated_at=now,
            rotated_by=principal.name[:120],
        )
        session.add(feed)
        session.flush()
    return _public(sector, feed)


def rotate_sector_feed(
    *, session: Session, code: str, principal: Principal, now: dt.datetime
) -> SectorFeedPublic:
    """A new secret address for the sector's feed; the previous one stops working."""
    sector = _sector(session=session, code=code, principal=principal)
    feed = session.get(SectorFeed, sector.id) or SectorFeed(
        sector_id=sector.id,  # type: ignore[arg-type]
        token="",
        rotated_by="",
    )
    feed.token = secrets.token_urlsafe(TOKEN_BYTES)
    feed.rotated_at, feed.rotated_by = now, principal.name[:120]
    session.add(feed)
    session.flush()
    return _public(sector, feed)


def _sector_agenda(
    session: Session, edition: Edition, version: ScheduleVersion, sector: Sector
) -> Agenda:
    ctx = load_context(session=session, edition=edition, version=version)
    return build_agenda(ctx, kind="sector", owner_id=sector.id, owner=(sector.code, sector.name))


def feed_calendar(*, session: Session, token: str) -> Document:
    """The iCalendar of the feed `token` (404 for an unknown or rotated token, or while
    none of the sector's editions has a published agenda)."""
    feed = session.exec(select(SectorFeed).where(SectorFeed.token == token)).first()
    if feed is None or not secrets.compare_digest(feed.token, token):
        raise _no_feed()
    sector = session.get(Sector, feed.sector_id)
    editions = session.exec(
        select(Edition)
        .join(EditionSector, col(EditionSector.edition_id) == col(Edition.id))
        .where(EditionSector.sector_id == feed.sector_id)
        .order_by(col(Edition.id).desc())
    ).all()
    for edition in editions:
        version = current_version(session=session, edition=edition)
        if version is None or sector is None:
            continue
        doc = store.stored(
            session=session,
            version_id=version.id or 0,
            kind="sector",
            owner_id=sector.id,
            fmt=AgendaFormat.ics,
            build=partial(_sector_agenda, session, edition, version, sector),
        )
        return Document(
            content=doc.content,
            media_type=formats.content_type(AgendaFormat.ics),
            filename=f"agenda-{sector.code}.ics",
            inline=True,
            etag=f'"{doc.sha256}"',
        )
    raise NotFound("El sector aún no tiene una agenda publicada.")
