"""A delegation's requested meetings that the published schedule left out, with the reason.

The reason comes from the result of the solve run the current version published
(`unscheduled`: code, English reason, Spanish detail). A request the run never saw (created
or changed after it) or one the SD left out by hand gets a generic sentence.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.access.principal import Principal
from app.editions.models import Edition
from app.scheduling.models import MeetingRequest, MeetingRequestTopic, RequestStatus, SolveRun
from app.scheduling.publication import current_version, version_meetings
from app.scheduling.service import sector_codes_by_request
from app.submissions.models import Topic
from app.submissions.service import resolve_delegation

NOT_IN_RUN = "La reunión no figura en el cronograma publicado."


class UnscheduledMeetingPublic(BaseModel):
    request_id: int
    sectors: list[str]
    topics: list[str]
    code: str
    detail: str


def unscheduled_for_delegation(
    *, session: Session, edition: Edition, delegation_id: int
) -> list[UnscheduledMeetingPublic]:
    """The delegation's active requests not in the current published version ([] before
    the first publication), with the solver's reason in Spanish."""
    version = current_version(session=session, edition=edition)
    if version is None or version.id is None:
        return []
    scheduled = {m.request_id for m in version_meetings(session=session, version_id=version.id)}
    requests = session.exec(
        select(MeetingRequest)
        .where(
            MeetingRequest.edition_id == edition.id,
            MeetingRequest.delegation_id == delegation_id,
            MeetingRequest.status == RequestStatus.active,
        )
        .order_by(col(MeetingRequest.id))
    ).all()
    missing = [r.id for r in requests if r.id is not None and r.id not in scheduled]
    if not missing:
        return []
    run = session.get(SolveRun, version.run_id) if version.run_id is not None else None
    reasons = {
        int(u["request_id"]): u
        for u in ((run.result or {}).get("unscheduled", []) if run else [])
        if "request_id" in u
    }
    sectors = sector_codes_by_request(session=session, request_ids=missing)
    titles: dict[int, list[str]] = {rid: [] for rid in missing}
    for request_id, title in session.exec(
        select(MeetingRequestTopic.request_id, Topic.title)
        .join(Topic, col(Topic.id) == col(MeetingRequestTopic.topic_id))
        .where(col(MeetingRequestTopic.request_id).in_(missing))
        .order_by(col(Topic.position))
    ).all():
        titles[request_id].append(title)
    out = []
    for request_id in missing:
        why = reasons.get(request_id, {})
        out.append(
            UnscheduledMeetingPublic(
                request_id=request_id,
                sectors=sectors.get(request_id, []),
                topics=titles[request_id],
                code=str(why.get("code", "not_in_run")),
                detail=str(why.get("detail") or NOT_IN_RUN),
            )
        )
    return out


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
