"""Meeting requests a published schedule leaves out, with the reason: for the delegations'
e-mails (every request of the edition at once) and for a delegation's own page and API.

The reason is the solve run's (`unscheduled`: code, English reason, Spanish detail) when the
version came from a run that explained it; a request the run never saw (created or changed
after it) or one the SD left out by hand gets a plain sentence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.access.principal import Principal
from app.editions.models import Edition
from app.scheduling.models import (
    MeetingRequest,
    MeetingRequestSector,
    MeetingRequestTopic,
    RequestStatus,
    SolveRun,
)
from app.scheduling.publication import current_version, version_meetings
from app.scheduling.service import sector_codes_by_request
from app.submissions.models import Topic
from app.submissions.service import resolve_delegation

NO_REASON = "No se incluyó en el cronograma publicado."
NOT_IN_RUN = "not_in_run"


@dataclass(frozen=True)
class UnscheduledRequest:
    request_id: int
    delegation_id: int
    sector_ids: tuple[int, ...]
    code: str
    reason: str  # Spanish


class UnscheduledMeetingPublic(BaseModel):
    request_id: int
    sectors: list[str]
    topics: list[str]
    code: str
    detail: str


def _run_reasons(session: Session, run_id: int | None) -> dict[int, dict]:
    run = session.get(SolveRun, run_id) if run_id is not None else None
    if run is None or not run.result:
        return {}
    return {
        int(item["request_id"]): item
        for item in run.result.get("unscheduled", [])
        if "request_id" in item
    }


def unscheduled_requests(
    *,
    session: Session,
    edition: Edition,
    run_id: int | None,
    scheduled_ids: Collection[int],
    delegation_id: int | None = None,
) -> list[UnscheduledRequest]:
    """The edition's (or one delegation's) active requests not in `scheduled_ids`, by id,
    with the run's reason."""
    query = select(MeetingRequest).where(
        MeetingRequest.edition_id == edition.id,
        MeetingRequest.status == RequestStatus.active,
        col(MeetingRequest.id).not_in(list(scheduled_ids)),
    )
    if delegation_id is not None:
        query = query.where(MeetingRequest.delegation_id == delegation_id)
    requests = session.exec(query.order_by(col(MeetingRequest.id))).all()
    if not requests:
        return []
    sectors: dict[int, list[int]] = defaultdict(list)
    for link in session.exec(
        select(MeetingRequestSector).where(
            col(MeetingRequestSector.request_id).in_([r.id for r in requests])
        )
    ):
        sectors[link.request_id].append(link.sector_id)
    reasons = _run_reasons(session, run_id)
    out = []
    for r in requests:
        why = reasons.get(r.id or 0, {})
        out.append(
            UnscheduledRequest(
                request_id=r.id or 0,
                delegation_id=r.delegation_id,
                sector_ids=tuple(sorted(sectors[r.id or 0])),
                code=str(why.get("code") or NOT_IN_RUN),
                reason=str(why.get("detail") or NO_REASON),
            )
        )
    return out


def unscheduled_for_delegation(
    *, session: Session, edition: Edition, delegation_id: int
) -> list[UnscheduledMeetingPublic]:
    """The delegation's active requests not in the current published version ([] before
    the first publication), with their sectors, topics and the solver's reason in Spanish."""
    version = current_version(session=session, edition=edition)
    if version is None or version.id is None:
        return []
    scheduled = {m.request_id for m in version_meetings(session=session, version_id=version.id)}
    missing = unscheduled_requests(
        session=session,
        edition=edition,
        run_id=version.run_id,
        scheduled_ids=scheduled,
        delegation_id=delegation_id,
    )
    if not missing:
        return []
    ids = [u.request_id for u in missing]
    sectors = sector_codes_by_request(session=session, request_ids=ids)
    titles: dict[int, list[str]] = {rid: [] for rid in ids}
    for request_id, title in session.exec(
        select(MeetingRequestTopic.request_id, Topic.title)
        .join(Topic, col(Topic.id) == col(MeetingRequestTopic.topic_id))
        .where(col(MeetingRequestTopic.request_id).in_(ids))
        .order_by(col(Topic.position))
    ).all():
        titles[request_id].append(title)
    return [
        UnscheduledMeetingPublic(
            request_id=u.request_id,
            sectors=sectors.get(u.request_id, []),
            topics=titles[u.request_id],
            code=u.code,
            detail=u.reason,
        )
        for u in missing
    ]


def delegation_unscheduled(
    *, session: Session, edition: Edition, delegation_code: str, principal: Principal
) -> list[UnscheduledMeetingPublic]:
    """`unscheduled_for_delegation` for the SD or the delegation itself (404 otherwise)."""
    delegation = resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    return unscheduled_for_delegation(
        session=session,
        edition=edition,
        delegation_id=delegation.id,  # type: ignore[arg-type]
    )
