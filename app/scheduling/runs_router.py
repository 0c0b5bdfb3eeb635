"""Solve runs (SD only): start, list, follow (JSON or Server-Sent Events), read, compare,
cancel. The solve itself runs as a background job (app.core.jobs), never in the request."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.access.deps import SdAdmin
from app.core.db import SessionDep
from app.core.pagination import Page, PaginationDep
from app.core.types import DbId
from app.editions.deps import EditionDep
from app.scheduling import runs
from app.scheduling.models import SolveRun
from app.scheduling.schemas import (
    RunComparison,
    RunMeetingPublic,
    RunOptionsIn,
    SolveRunPublic,
)

router = APIRouter(prefix="/api/editions/{edition_id}/runs", tags=["scheduling"])


@router.post("", status_code=202, response_model=SolveRunPublic)
def start_run(
    body: RunOptionsIn,
    request: Request,
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
) -> SolveRun:
    """Queue a solve run (plan, or replan from the published schedule); 409 if the edition
    is not being scheduled or a run is already queued or running."""
    return runs.start_run(
        session=session,
        edition=edition,
        run_in=body,
        created_by=f"key:{principal.key_id}",
        settings=request.app.state.settings,
    )


@router.get("", response_model=Page[SolveRunPublic])
def list_runs(
    session: SessionDep, _: SdAdmin, edition: EditionDep, page: PaginationDep
) -> Page[SolveRunPublic]:
    """The edition's runs, newest first."""
    return runs.list_runs(session=session, edition=edition, limit=page.limit, offset=page.offset)


@router.get("/{run_id}", response_model=SolveRunPublic)
def get_run(run_id: DbId, session: SessionDep, _: SdAdmin, edition: EditionDep) -> SolveRun:
    """A run: status, progress so far, result summary."""
    return runs.get_run(session=session, edition=edition, run_id=run_id)


@router.get(
    "/{run_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def run_events(
    run_id: DbId, request: Request, session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> StreamingResponse:
    """Server-Sent Events: one `progress` event per progress point, then `done` (429 with
    Retry-After past `ARTICULA_RUN_STREAMS_PER_KEY` open streams of the key)."""
    stream = runs.event_stream(
        session=session,
        engine=request.app.state.engine,
        edition=edition,
        run_id=run_id,
        key_id=principal.key_id,
        max_streams=request.app.state.settings.run_streams_per_key,
    )
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{run_id}/meetings", response_model=list[RunMeetingPublic])
def run_meetings(
    run_id: DbId, session: SessionDep, _: SdAdmin, edition: EditionDep
) -> list[RunMeetingPublic]:
    """The meetings the run planned (empty unless it succeeded), by start then room."""
    return runs.planned_meetings(session=session, edition=edition, run_id=run_id)


@router.get("/{run_id}/compare/{other_run_id}", response_model=RunComparison)
def compare_runs(
    run_id: DbId, other_run_id: DbId, session: SessionDep, _: SdAdmin, edition: EditionDep
) -> RunComparison:
    """From this run to the other: meetings added, dropped, moved; scores side by side."""
    return runs.compare_runs(
        session=session, edition=edition, run_id=run_id, other_run_id=other_run_id
    )


@router.post("/{run_id}/cancel", response_model=SolveRunPublic)
def cancel_run(run_id: DbId, session: SessionDep, _: SdAdmin, edition: EditionDep) -> SolveRun:
    """Cancel a queued run, or ask a running one to stop (best effort)."""
    return runs.cancel_run(session=session, edition=edition, run_id=run_id)
