"""Topic lists: submission (versioned, idempotent), scoped reads and SD review."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.access.idempotency import IdempotentRequest, Outcome
from app.access.principal import Principal
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import Page
from app.editions.models import (
    Delegation,
    Edition,
    EditionDelegation,
    EditionSector,
    EditionStatus,
    Sector,
)
from app.editions.service import submissions_open
from app.submissions.models import (
    CUI_PATTERN,
    KINDS_WITH_PROJECT,
    SectorRankPublic,
    Topic,
    TopicChange,
    TopicKind,
    TopicListComparison,
    TopicListIn,
    TopicListVersion,
    TopicListVersionPublic,
    TopicListVersionSummary,
    TopicPublic,
    TopicSector,
    TopicStatus,
)

NOT_FOUND_DETAIL = "El recurso solicitado no existe."
WINDOW_CLOSED = "El plazo de envío de temas para esta edición está cerrado."
EMPTY_LIST = (
    "La lista no tiene temas: enviarla retira todos los temas de la delegación. Si es lo "
    "que desea, confírmelo expresamente (confirm_empty)."
)
NOT_IN_REVIEW = "La revisión de temas solo es posible cuando la edición está en revisión."


CENT = Decimal("0.01")  # amounts are stored with two decimals (Numeric(18, 2))


@dataclass
class PreparedVersion:
    """A checked topic list ready to store: the version, its topics in submitted order and
    each topic's sector links."""

    delegation_code: str
    version: TopicListVersion
    topics: list[Topic]
    sectors: list[list[TopicSector]]
    codes: dict[int, str]  # sector id -> code, for the answer

    def public(self) -> TopicListVersionPublic:
        """The stored version as `get_version` reads it back, from the rows in memory."""
        summary = _summary(self.version, self.delegation_code, len(self.topics))
        topics = [
            _topic_public(
                topic,
                delegation=self.delegation_code,
                version=self.version.number,
                sectors=[
                    SectorRankPublic(
                        sector=self.codes[link.sector_id],
                        rank=link.rank,
                        submitted_rank=link.submitted_rank,
                    )
                    for link in links
                ],
            )
            for topic, links in zip(self.topics, self.sectors, strict=True)
        ]
        return TopicListVersionPublic(**summary.model_dump(), topics=topics)


def not_found() -> NotFound:
    """The one 404 for missing and foreign resources alike (same body, no leak)."""
    return NotFound(NOT_FOUND_DETAIL)


# --------------------------------------------------------------------------- access


def resolve_delegation(
    *, session: Session, edition: Edition, code: str, principal: Principal
) -> Delegation:
    """The delegation `code` of the edition, if the principal may act for it; 404 otherwise."""
    if not (principal.is_sd or principal.is_delegation):
        raise not_found()
    delegation = session.exec(
        select(Delegation)
        .join(EditionDelegation, col(EditionDelegation.delegation_id) == col(Delegation.id))
        .where(Delegation.code == code, EditionDelegation.edition_id == edition.id)
    ).first()
    if delegation is None:
        raise not_found()
    if not principal.acts_for(delegation_id=delegation.id):
        raise not_found()
    return delegation


# --------------------------------------------------------------------------- submission


def _item_error(index: int, field: str, msg: str) -> dict[str, Any]:
    loc = ["body", "topics", str(index)] + ([field] if field else [])
    return {"loc": loc, "index": index, "msg": msg, "type": "invalid"}


def validate_topic_list(
    *, session: Session, edition: Edition, topics_in: TopicListIn
) -> dict[str, int]:
    """Check the list against the edition; return {sector code: sector id}. 422 lists every
    offending item by index, with a message the region can act on."""
    sectors = dict(
        session.exec(
            select(Sector.code, Sector.id)
            .join(EditionSector, col(EditionSector.sector_id) == col(Sector.id))
            .where(EditionSector.edition_id == edition.id)
        ).all()
    )
    requested = {s.sector for t in topics_in.topics for s in t.sectors}
    known = set(session.exec(select(Sector.code).where(col(Sector.code).in_(requested))).all())
    errors: list[dict[str, Any]] = []
    seen_ranks: dict[str, dict[int, int]] = defaultdict(dict)
    cui_re = re.compile(CUI_PATTERN)
    for i, topic in enumerate(topics_in.topics):
        codes = [s.sector for s in topic.sectors]
        for dup in sorted({c for c in codes if codes.count(c) > 1}):
            errors.append(
                _item_error(i, "sectors", f"El sector {dup} aparece más de una vez en el tema.")
            )
        for s in topic.sectors:
            if s.sector not in known:
                errors.append(_item_error(i, "sectors", f"El sector {s.sector} no existe."))
                continue
            if s.sector not in sectors:
                errors.append(
                    _item_error(i, "sectors", f"El sector {s.sector} no participa en esta edición.")
                )
                continue
            other = seen_ranks[s.sector].get(s.rank)
            if other is not None:
                errors.append(
                    _item_error(
                        i,
                        "sectors",
                        f"La prioridad {s.rank} para el sector {s.sector} ya se usa en el "
                        f"tema {other}; cada prioridad debe ser única por sector.",
                    )
                )
            else:
                seen_ranks[s.sector][s.rank] = i
        if topic.kind == TopicKind.investment_project and not topic.cui:
            errors.append(_item_error(i, "cui", "Un proyecto de inversión requiere su código CUI."))
        if topic.cui is not None:
            if topic.kind not in KINDS_WITH_PROJECT:
                errors.append(
                    _item_error(
                        i,
                        "cui",
                        "El código CUI solo corresponde a proyectos de inversión o "
                        "demandas presupuestales.",
                    )
                )
            elif not cui_re.match(topic.cui):
                errors.append(
                    _item_error(
                        i, "cui", "El código CUI debe tener exactamente 7 dígitos (p. ej. 2345678)."
                    )
                )
        if topic.amount is not None:
            if topic.kind not in KINDS_WITH_PROJECT:
                errors.append(
                    _item_error(
                        i,
                        "amount",
                        "El monto solo corresponde a proyectos de inversión o demandas "
                        "presupuestales.",
                    )
                )
            elif topic.amount < 0:
                errors.append(_item_error(i, "amount", "El monto en soles no puede ser negativo."))
    for code, ranks in sorted(seen_ranks.items()):
        expected = set(range(1, len(ranks) + 1))
        if set(ranks) != expected:
            first = min(ranks.values())
            errors.append(
                _item_error(
                    first,
                    "sectors",
                    f"Las prioridades del sector {code} deben ser consecutivas desde 1 "
                    f"(1..{len(ranks)}); se recibieron {sorted(ranks)}.",
                )
            )
    if errors:
        errors.sort(key=lambda e: e["index"])
        n = len({e["index"] for e in errors})
        raise Invalid(
            f"La lista de temas tiene errores en {n} tema(s); corríjalos y vuelva a enviarla.",
            errors=errors,
        )
    return sectors


def prepare_version(
    *,
    session: Session,
    edition: Edition,
    delegation: Delegation,
    topics_in: TopicListIn,
    principal: Principal,
    now: datetime,
) -> PreparedVersion:
    """Check the list (window, confirmation of an empty list, `validate_topic_list`) and build
    its rows, not yet numbered nor in the session. It only reads, so a submission runs it
    before taking the delegation's write lock."""
    if not submissions_open(edition, now):
        raise Conflict(WINDOW_CLOSED)
    if not topics_in.topics and not topics_in.confirm_empty:
        raise Invalid(EMPTY_LIST, field="confirm_empty")
    sector_ids = validate_topic_list(session=session, edition=edition, topics_in=topics_in)
    version = TopicListVersion(
        edition_id=edition.id,
        delegation_id=delegation.id,
        number=1,  # set by store_version, under the lock
        is_current=True,
        submitted_at=now,
        submitted_by=str(principal.key_id),
    )
    topics = [
        Topic(
            version=version,
            edition_id=edition.id,
            delegation_id=delegation.id,
            position=position,
            title=topic_in.title,
            description=topic_in.description,
            kind=topic_in.kind,
            cui=topic_in.cui,
            amount=None if topic_in.amount is None else topic_in.amount.quantize(CENT),
        )
        for position, topic_in in enumerate(topics_in.topics)
    ]
    sectors = [
        [
            TopicSector(
                topic=topic, sector_id=sector_ids[s.sector], rank=s.rank, submitted_rank=s.rank
            )
            for s in topic_in.sectors
        ]
        for topic, topic_in in zip(topics, topics_in.topics, strict=True)
    ]
    codes = {sector_id: code for code, sector_id in sector_ids.items()}
    return PreparedVersion(
        delegation_code=delegation.code,
        version=version,
        topics=topics,
        sectors=sectors,
        codes=codes,
    )


def store_version(*, session: Session, prepared: PreparedVersion) -> TopicListVersion:
    """Number the prepared version after the delegation's last one, make it the current one
    and insert it with its topics and their sectors (one flush: the rows link through
    their relationships)."""
    version = prepared.version
    mine = (
        col(TopicListVersion.edition_id) == version.edition_id,
        col(TopicListVersion.delegation_id) == version.delegation_id,
    )
    last = session.exec(select(func.max(TopicListVersion.number)).where(*mine)).one()
    current = session.exec(
        select(TopicListVersion).where(*mine, col(TopicListVersion.is_current)).with_for_update()
    ).all()
    for old in current:
        old.is_current = False
    version.number = (last or 0) + 1
    session.add(version)
    session.add_all(prepared.topics)
    session.add_all(link for links in prepared.sectors for link in links)
    session.flush()
    return version


def submit_topics(
    *,
    session: Session,
    edition: Edition,
    delegation: Delegation,
    topics_in: TopicListIn,
    principal: Principal,
    now: datetime,
) -> TopicListVersion:
    """Store the delegation's whole list as a new version, while the window is open; an
    empty list only when `confirm_empty` says so. (No lock: for one writer at a time, as the
    demo data; requests go through `submit_topic_list`.)"""
    prepared = prepare_version(
        session=session,
        edition=edition,
        delegation=delegation,
        topics_in=topics_in,
        principal=principal,
        now=now,
    )
    return store_version(session=session, prepared=prepared)


# --------------------------------------------------------------------------- submitting


def _serialise_submissions(*, session: Session, delegation: Delegation) -> None:
    """Take the delegation's write lock for the rest of the transaction: a no-op UPDATE of
    its row (PostgreSQL: the row lock, held until commit; SQLite: the database's write lock).
    Concurrent submissions of the same delegation then read the version numbers and
    idempotency records one after the other, each seeing the last. It changes nothing, so
    it runs on the session's connection, where the audit hooks do not read the row around it."""
    session.connection().execute(
        sa.update(Delegation)
        .where(col(Delegation.id) == delegation.id)
        .values(code=col(Delegation.code))
    )


def submit_topic_list(
    *,
    session: Session,
    edition: Edition,
    delegation_code: str,
    topics_in: TopicListIn,
    principal: Principal,
    idempotency_key: str | None,
    now: datetime,
) -> Outcome:
    """Submit the delegation's whole list as a new version and answer it; with an
    `Idempotency-Key`, a repeat of the same request replays the first answer (even after
    the window closed). Everything that only reads (the stored answer, the checks, the rows
    to insert) runs before the delegation's write lock, which SQLite holds for the whole
    database: the lock covers the version number, the inserts and the answer."""
    delegation = resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    request = IdempotentRequest.of(
        principal=principal,
        key=idempotency_key,
        scope=f"{edition.id}/{delegation.code}",
        body=topics_in,
    )
    if request is not None and (replay := request.stored(session)) is not None:
        return replay
    prepared = prepare_version(
        session=session,
        edition=edition,
        delegation=delegation,
        topics_in=topics_in,
        principal=principal,
        now=now,
    )
    _serialise_submissions(session=session, delegation=delegation)
    # A retry with the same key may have been stored while this request was being checked.
    if request is not None and (replay := request.stored(session)) is not None:
        return replay
    store_version(session=session, prepared=prepared)
    body = prepared.public().model_dump(mode="json")
    if request is not None:
        request.remember(session, body=body, now=now)
    return Outcome(body=body, replayed=False)


# --------------------------------------------------------------------------- reading


def _topic_public(
    topic: Topic, *, delegation: str, version: int, sectors: list[SectorRankPublic]
) -> TopicPublic:
    return TopicPublic(
        id=topic.id or 0,
        edition_id=topic.edition_id,
        delegation=delegation,
        version=version,
        position=topic.position,
        title=topic.title,
        description=topic.description,
        kind=topic.kind,
        cui=topic.cui,
        amount=topic.amount,
        sectors=sorted(sectors, key=lambda s: s.sector),
        status=topic.status,
        review_reason=topic.review_reason,
        reviewed_at=topic.reviewed_at,
        merged_into_id=topic.merged_into_id,
    )


def render_topics(*, session: Session, topics: Sequence[Topic]) -> list[TopicPublic]:
    """Public views of topics, with sector codes, delegation code and version number."""
    if not topics:
        return []
    ids = [t.id for t in topics]
    links: dict[int, list[SectorRankPublic]] = defaultdict(list)
    rows = session.exec(
        select(TopicSector.topic_id, Sector.code, TopicSector.rank, TopicSector.submitted_rank)
        .join(Sector, col(Sector.id) == col(TopicSector.sector_id))
        .where(col(TopicSector.topic_id).in_(ids))
    ).all()
    for topic_id, code, rank, submitted in rows:
        links[topic_id].append(SectorRankPublic(sector=code, rank=rank, submitted_rank=submitted))
    versions = dict(
        session.exec(
            select(TopicListVersion.id, TopicListVersion.number).where(
                col(TopicListVersion.id).in_({t.version_id for t in topics})
            )
        ).all()
    )
    codes = dict(
        session.exec(
            select(Delegation.id, Delegation.code).where(
                col(Delegation.id).in_({t.delegation_id for t in topics})
            )
        ).all()
    )
    return [
        _topic_public(
            t,
            delegation=codes[t.delegation_id],
            version=versions[t.version_id],
            sectors=links[t.id or 0],
        )
        for t in topics
    ]


def _summary(version: TopicListVersion, code: str, count: int) -> TopicListVersionSummary:
    return TopicListVersionSummary(
        edition_id=version.edition_id,
        delegation=code,
        number=version.number,
        is_current=version.is_current,
        submitted_at=version.submitted_at,
        submitted_by=version.submitted_by,
        topic_count=count,
    )


def list_versions(
    *, session: Session, edition: Edition, delegation_code: str, principal: Principal
) -> list[TopicListVersionSummary]:
    """Every version of the delegation's list, oldest first."""
    delegation = resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    rows = session.exec(
        select(TopicListVersion, func.count(col(Topic.id)))
        .outerjoin(Topic, col(Topic.version_id) == col(TopicListVersion.id))
        .where(
            TopicListVersion.edition_id == edition.id,
            TopicListVersion.delegation_id == delegation.id,
        )
        .group_by(col(TopicListVersion.id))
        .order_by(col(TopicListVersion.number))
    ).all()
    return [_summary(v, delegation.code, n) for v, n in rows]


def read_version(
    *,
    session: Session,
    edition: Edition,
    delegation_code: str,
    principal: Principal,
    number: int | None,
) -> TopicListVersionPublic:
    """One version of a delegation's list (None = the current one), if the caller may read it."""
    delegation = resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    return get_version(session=session, edition=edition, delegation=delegation, number=number)


def get_version(
    *, session: Session, edition: Edition, delegation: Delegation, number: int | None
) -> TopicListVersionPublic:
    """One version (None = the current one) with its topics, in submitted order."""
    query = select(TopicListVersion).where(
        TopicListVersion.edition_id == edition.id,
        TopicListVersion.delegation_id == delegation.id,
    )
    if number is None:
        query = query.where(col(TopicListVersion.is_current).is_(True))
    else:
        query = query.where(TopicListVersion.number == number)
    version = session.exec(query).first()
    if version is None:
        raise not_found()
    topics = session.exec(
        select(Topic).where(Topic.version_id == version.id).order_by(col(Topic.position))
    ).all()
    summary = _summary(version, delegation.code, len(topics))
    return TopicListVersionPublic(
        **summary.model_dump(), topics=render_topics(session=session, topics=topics)
    )


COMPARED_FIELDS = ("description", "kind", "cui", "amount", "sectors")


def _topic_key(title: str) -> str:
    return " ".join(title.casefold().split())


def _differences(before: TopicPublic, after: TopicPublic) -> list[str]:
    def ranks(t: TopicPublic) -> list[tuple[str, int]]:
        return sorted((s.sector, s.submitted_rank) for s in t.sectors)

    out = [f for f in COMPARED_FIELDS[:-1] if getattr(before, f) != getattr(after, f)]
    return out + (["sectors"] if ranks(before) != ranks(after) else [])


def compare_versions(
    *,
    session: Session,
    edition: Edition,
    delegation_code: str,
    principal: Principal,
    a: int,
    b: int,
) -> TopicListComparison:
    """What changed from version `a` to version `b` of a delegation's list: topics added,
    removed and changed (matched by title, ignoring case and spacing; sector ranks as
    submitted)."""
    delegation = resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    old = get_version(session=session, edition=edition, delegation=delegation, number=a)
    new = get_version(session=session, edition=edition, delegation=delegation, number=b)
    before = {_topic_key(t.title): t for t in old.topics}
    after = {_topic_key(t.title): t for t in new.topics}
    changed = [
        TopicChange(before=before[k], after=t, fields=_differences(before[k], t))
        for k, t in after.items()
        if k in before and _differences(before[k], t)
    ]
    return TopicListComparison(
        delegation=delegation.code,
        a=a,
        b=b,
        added=[t for k, t in after.items() if k not in before],
        removed=[t for k, t in before.items() if k not in after],
        changed=changed,
        unchanged=sum(1 for k in after if k in before) - len(changed),
    )


def _scoped_topics(*, edition: Edition, principal: Principal) -> Any:
    """Topics of current versions the principal may read (404 for roles that read none)."""
    query = (
        select(Topic)
        .join(TopicListVersion, col(TopicListVersion.id) == col(Topic.version_id))
        .where(Topic.edition_id == edition.id, col(TopicListVersion.is_current).is_(True))
    )
    if principal.is_sector:
        addressed = select(TopicSector.topic_id).where(
            principal.scope(sector=TopicSector.sector_id)
        )
        return query.where(col(Topic.id).in_(addressed))
    if principal.is_sd or principal.is_delegation:
        return query.where(principal.scope(delegation=Topic.delegation_id))
    raise not_found()


def list_topics(
    *,
    session: Session,
    edition: Edition,
    principal: Principal,
    delegation_code: str | None = None,
    sector_code: str | None = None,
    status: TopicStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page[TopicPublic]:
    """Current topics the principal may read, filtered and paginated."""
    query = _scoped_topics(edition=edition, principal=principal)
    if delegation_code is not None:
        query = query.where(
            col(Topic.delegation_id).in_(
                select(Delegation.id).where(Delegation.code == delegation_code)
            )
        )
    if sector_code is not None:
        query = query.where(
            col(Topic.id).in_(
                select(TopicSector.topic_id)
                .join(Sector, col(Sector.id) == col(TopicSector.sector_id))
                .where(Sector.code == sector_code)
            )
        )
    if status is not None:
        query = query.where(Topic.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    topics = session.exec(
        query.order_by(col(Topic.delegation_id), col(Topic.position), col(Topic.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return Page[TopicPublic](
        items=render_topics(session=session, topics=topics),
        total=total,
        limit=limit,
        offset=offset,
    )


def get_topic(
    *, session: Session, edition: Edition, principal: Principal, topic_id: int
) -> TopicPublic:
    """One current topic the principal may read; 404 if missing or foreign."""
    topic = session.exec(
        _scoped_topics(edition=edition, principal=principal).where(Topic.id == topic_id)
    ).first()
    if topic is None:
        raise not_found()
    return render_topics(session=session, topics=[topic])[0]


# --------------------------------------------------------------------------- review


def _require_review(edition: Edition) -> None:
    if edition.status != EditionStatus.in_review:
        raise Conflict(NOT_IN_REVIEW)


def _current_topic(*, session: Session, edition: Edition, topic_id: int) -> Topic:
    topic = session.exec(
        select(Topic)
        .join(TopicListVersion, col(TopicListVersion.id) == col(Topic.version_id))
        .where(
            Topic.id == topic_id,
            Topic.edition_id == edition.id,
            col(TopicListVersion.is_current).is_(True),
        )
    ).first()
    if topic is None:
        raise not_found()
    return topic


def _mark(topic: Topic, status: TopicStatus, principal: Principal, now: datetime) -> None:
    topic.status = status
    topic.reviewed_at = now
    topic.reviewed_by = str(principal.key_id)


def _release_merged(*, session: Session, topic: Topic) -> None:
    """Topics merged into `topic` go back to pending when `topic` stops being a target."""
    for child in session.exec(select(Topic).where(Topic.merged_into_id == topic.id)).all():
        child.merged_into_id = None
        child.status = TopicStatus.pending
        child.review_reason = None
        session.add(child)


def accept_topic(
    *, session: Session, edition: Edition, topic_id: int, principal: Principal, now: datetime
) -> TopicPublic:
    """SD accepts a topic of a current version."""
    _require_review(edition)
    topic = _current_topic(session=session, edition=edition, topic_id=topic_id)
    _mark(topic, TopicStatus.accepted, principal, now)
    topic.review_reason = None
    topic.merged_into_id = None
    session.add(topic)
    session.flush()
    return render_topics(session=session, topics=[topic])[0]


def reject_topic(
    *,
    session: Session,
    edition: Edition,
    topic_id: int,
    reason: str,
    principal: Principal,
    now: datetime,
) -> TopicPublic:
    """SD rejects a topic with a reason the delegation will read."""
    _require_review(edition)
    if not reason.strip():
        raise Invalid("Indique el motivo del rechazo.")
    topic = _current_topic(session=session, edition=edition, topic_id=topic_id)
    _release_merged(session=session, topic=topic)
    _mark(topic, TopicStatus.rejected, principal, now)
    topic.review_reason = reason.strip()
    topic.merged_into_id = None
    session.add(topic)
    session.flush()
    return render_topics(session=session, topics=[topic])[0]


def _sector_codes(session: Session, topic_id: int | None) -> set[str]:
    """The codes of the sectors a topic is addressed to."""
    rows = session.exec(
        select(Sector.code)
        .join(TopicSector, col(TopicSector.sector_id) == Sector.id)
        .where(TopicSector.topic_id == topic_id)
    ).all()
    return set(rows)


def merge_topic(
    *,
    session: Session,
    edition: Edition,
    topic_id: int,
    into_topic_id: int,
    principal: Principal,
    now: datetime,
) -> TopicPublic:
    """SD marks topic `topic_id` as a duplicate merged into `into_topic_id`: same delegation,
    and the target addresses every sector the duplicate does. Topics already merged into the
    duplicate follow it to the target (no chains)."""
    _require_review(edition)
    topic = _current_topic(session=session, edition=edition, topic_id=topic_id)
    target = _current_topic(session=session, edition=edition, topic_id=into_topic_id)
    if topic.id == target.id:
        raise Invalid("Un tema no puede fusionarse consigo mismo.")
    if topic.delegation_id != target.delegation_id:
        raise Invalid("Solo se pueden fusionar temas de la misma delegación.")
    if target.status == TopicStatus.merged:
        raise Invalid(
            f"El tema {target.id} ya está fusionado en el tema {target.merged_into_id}; "
            "fusione en ese tema."
        )
    missing = _sector_codes(session, topic.id) - _sector_codes(session, target.id)
    if missing:
        # The merged topic leaves every agenda; the target must carry it to each sector.
        raise Invalid(
            f"El tema {target.id} no está dirigido a {', '.join(sorted(missing))}: "
            "solo se puede fusionar en un tema dirigido a todos los sectores del duplicado."
        )
    for child in session.exec(select(Topic).where(Topic.merged_into_id == topic.id)).all():
        child.merged_into_id = target.id
        session.add(child)
    _mark(topic, TopicStatus.merged, principal, now)
    topic.merged_into_id = target.id
    topic.review_reason = None
    session.add(topic)
    session.flush()
    return render_topics(session=session, topics=[topic])[0]


def rerank(
    *,
    session: Session,
    edition: Edition,
    delegation_code: str,
    sector_code: str,
    topic_ids: Iterable[int],
    principal: Principal,
    now: datetime,
) -> list[TopicPublic]:
    """SD sets a new full order of the delegation's current topics addressed to a sector."""
    delegation = resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    _require_review(edition)
    sector = session.exec(
        select(Sector)
        .join(EditionSector, col(EditionSector.sector_id) == col(Sector.id))
        .where(Sector.code == sector_code, EditionSector.edition_id == edition.id)
    ).first()
    if sector is None:
        raise not_found()
    rows = session.exec(
        select(TopicSector, Topic)
        .join(Topic, col(Topic.id) == col(TopicSector.topic_id))
        .join(TopicListVersion, col(TopicListVersion.id) == col(Topic.version_id))
        .where(
            TopicSector.sector_id == sector.id,
            Topic.edition_id == edition.id,
            Topic.delegation_id == delegation.id,
            col(TopicListVersion.is_current).is_(True),
        )
    ).all()
    wanted = list(topic_ids)
    links = {topic.id: link for link, topic in rows}
    if len(set(wanted)) != len(wanted) or set(wanted) != set(links):
        raise Invalid(
            "El nuevo orden debe incluir exactamente una vez cada tema vigente de la "
            f"delegación {delegation.code} para el sector {sector.code}.",
            expected_topic_ids=sorted(links),
        )
    for rank, topic_id in enumerate(wanted, start=1):
        links[topic_id].rank = rank
        session.add(links[topic_id])
    session.flush()
    topics = {topic.id: topic for _link, topic in rows}
    return render_topics(session=session, topics=[topics[i] for i in wanted])
