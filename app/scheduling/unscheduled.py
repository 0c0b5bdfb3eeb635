"""Meeting requests a published schedule leaves out, with the reason, for the delegations'
e-mails: each active request of the edition whose id is not among the scheduled ones.

The reason is the solve run's (its `detail`, in Spanish) when the version came from a run
that explained it; otherwise a plain sentence says the request is not in the schedule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.editions.models import Edition
from app.scheduling.models import (
    MeetingRequest,
    MeetingRequestSector,
    RequestStatus,
    SolveRun,
)

NO_REASON = "No se incluyó en el cronograma publicado."


@dataclass(frozen=True)
class UnscheduledRequest:
    request_id: int
    delegation_id: int
    sector_ids: tuple[int, ...]
    reason: str  # Spanish


def unscheduled_requests(
    *, session: Session, edition: Edition, run_id: int | None, scheduled_ids: Collection[int]
) -> list[UnscheduledRequest]:
    """The edition's active requests not in `scheduled_ids`, by id, with the run's reason."""
    requests = session.exec(
        select(MeetingRequest)
        .where(
            MeetingRequest.edition_id == edition.id,
            MeetingRequest.status == RequestStatus.active,
            col(MeetingRequest.id).not_in(list(scheduled_ids)),
        )
        .order_by(col(MeetingRequest.id))
    ).all()
    if not requests:
        return []
    sectors: dict[int, list[int]] = defaultdict(list)
    for link in session.exec(
        select(MeetingRequestSector).where(
            col(MeetingRequestSector.request_id).in_([r.id for r in requests])
        )
    ):
        sectors[link.request_id].append(link.sector_id)
    reasons: dict[int, str] = {}
    run = session.get(SolveRun, run_id) if run_id is not None else None
    if run is not None and run.result:
        for item in run.result.get("unscheduled", []):
            if item.get("detail"):
                reasons[int(item["request_id"])] = str(item["detail"])
    return [
        UnscheduledRequest(
            request_id=r.id or 0,
            delegation_id=r.delegation_id,
            sector_ids=tuple(sorted(sectors[r.id or 0])),
            reason=reasons.get(r.id or 0, NO_REASON),
        )
        for r in requests
    ]
