"""The SD's solve runs: the edition's runs in words, a form to start one, and a live page
per run fed by the run's Server-Sent Events (the API's generator, under the page session):
a chart of objective and bound, the stage in Spanish, the gap in percent, a plain sentence,
cancel; once it ends, a link to its schedule and the unscheduled requests with their
reasons. The status panel is a fragment the page refreshes every second while the run is
active, so it works without the chart's script too.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from app.access.principal import Principal
from app.core.db import SessionDep
from app.core.errors import Conflict
from app.core.pagination import Pagination
from app.editions.models import Edition, EditionStatus
from app.editions.service import STATUS_ES, get_edition_or_404, list_participants
from app.scheduling import runs, service
from app.scheduling.models import ACTIVE_RUN_STATUSES, RunStatus
from app.scheduling.schemas import RunOptionsIn, SolveRunPublic
from app.web import messages
from app.web.deps import SdUser
from app.web.forms import FormErrors, parse
from app.web.security import check_csrf
from app.web.templating import flash, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PAGE_SIZE = 20
MAX_PARTICIPANTS = 2500
RUN_STATUS = {
    RunStatus.queued: "En cola",
    RunStatus.running: "Calculando",
    RunStatus.succeeded: "Terminado",
    RunStatus.failed: "Falló",
    RunStatus.cancelled: "Cancelado",
}
RUN_MODE = {"plan": "Cronograma nuevo", "replan": "Re-programación del publicado"}
STAGE = {
    "weight": "Peso de las reuniones programadas",
    "fairness": "Equidad entre delegaciones",
    "breaks": "Tiempos muertos",
    "changes": "Cambios al cronograma publicado",
}
OPTIMAL = "Óptimo demostrado"


def gap_percent(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / max(1, |objective|), in percent (the solver's gap)."""
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(1.0, abs(objective)) * 100


def _n(value: float) -> str:
    return f"{round(value):,}".replace(",", "\u202f")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def stage_sentence(stage: str, objective: float, bound: float) -> str:
    """What the solver is doing in a stage, in words: its best value so far and the limit it
    proved (fairness counts per mille of the worst-served delegation's weight)."""
    if gap_percent(objective, bound) == 0:
        return f"{STAGE.get(stage, stage)}: {OPTIMAL.lower()}"
    if stage == "weight":
        return f"Programando reuniones: peso {_n(objective)} logrado, no más de {_n(bound)}"
    if stage == "fairness":
        return (
            "Equilibrando delegaciones: la menos atendida logra el "
            f"{objective / 10:.1f} % de su peso, no más del {bound / 10:.1f} %"
        )
    if stage == "breaks":
        return f"Reduciendo tiempos muertos: {_n(objective)} encontrados, no menos de {_n(bound)}"
    if stage == "changes":
        return (
            f"Reduciendo cambios al cronograma publicado: {_n(objective)} encontrados, "
            f"no menos de {_n(bound)}"
        )
    return f"Etapa {stage}: {_n(objective)}, cota {_n(bound)}"


def run_sentence(run: SolveRunPublic) -> str:
    """The run's state as one plain Spanish sentence."""
    if run.status == RunStatus.queued:
        return "En cola: el cálculo empieza en unos segundos."
    if run.status == RunStatus.running:
        if run.cancel_requested:
            return "Cancelando: el cálculo se detiene al terminar la etapa en curso."
        if not run.progress:
            return "Preparando el modelo de la edición."
        last = run.progress[-1]
        return stage_sentence(last.stage, last.objective, last.bound)
    if run.status == RunStatus.cancelled:
        return "Cálculo cancelado; no dejó cronograma."
    if run.status == RunStatus.failed:
        return run.error or "El cálculo falló."
    if run.result is not None and run.result.status == "OPTIMAL":
        return OPTIMAL
    gap = run_gap(run)
    return "Cronograma hallado en el tiempo límite, sin demostrar que sea el mejor" + (
        f" (brecha de {gap:.1f} %)" if gap is not None else ""
    )


def run_gap(run: SolveRunPublic) -> float | None:
    """The gap of the latest stage, in percent."""
    if run.result is not None and run.result.stages:
        last = run.result.stages[-1]
        return gap_percent(last.objective, last.bound)
    if run.progress:
        return gap_percent(run.progress[-1].objective, run.progress[-1].bound)
    return None


def run_stage(run: SolveRunPublic) -> str:
    """The stage the run is in (or ended in), in Spanish."""
    if run.progress:
        return STAGE.get(run.progress[-1].stage, run.progress[-1].stage)
    return "—"


def run_score(run: SolveRunPublic, scheduled: int) -> str:
    """A finished run's score in words."""
    if run.result is None:
        return "—"
    return (
        f"{_count(scheduled, 'reunión programada', 'reuniones programadas')} · "
        f"peso {_n(run.result.scheduled_weight)} · "
        f"{_count(run.result.breaks, 'tiempo muerto', 'tiempos muertos')} · "
        f"{len(run.result.unscheduled)} sin programar"
    )


def _edition(session: Session, edition_id: int, principal: Principal) -> Edition:
    return get_edition_or_404(session=session, edition_id=edition_id, principal=principal)


def _runnable(edition: Edition) -> bool:
    return edition.status in (EditionStatus.scheduling, EditionStatus.published)


def _list_page(
    request: Request,
    session: Session,
    edition: Edition,
    offset: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    page = runs.list_runs(session=session, edition=edition, limit=PAGE_SIZE, offset=offset)
    rows = [
        {
            "run": run,
            "status": RUN_STATUS[run.status],
            "mode": RUN_MODE.get(run.mode, run.mode),
            "sentence": run_sentence(run),
            "score": run_score(
                run,
                len(
                    runs.get_run(session=session, edition=edition, run_id=run.id).assignments or []
                ),
            ),
        }
        for run in page.items
    ]
    return render_page(
        request,
        "pages/runs/list.html",
        status_code=status_code,
        title=f"Cálculos del cronograma · {edition.name}",
        tab="runs",
        edition=edition,
        page=page,
        rows=rows,
        runnable=_runnable(edition),
        status_label=STATUS_ES[EditionStatus(edition.status)],
        values=values or {"mode": "plan", "time_limit_s": "60", "rooms": "", "release": ""},
        errors=errors or {},
    )


@router.get("/editions/{edition_id}/runs", name="runs:list")
def runs_page(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The edition's runs, newest first, and the form to start one."""
    edition = _edition(session, edition_id, principal)
    return _list_page(request, session, edition, offset)


@router.post("/editions/{edition_id}/runs", name="runs:start")
def start(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    mode: Annotated[str, Form(max_length=10)] = "plan",
    time_limit_s: Annotated[str, Form(max_length=10)] = "",
    rooms: Annotated[str, Form(max_length=10)] = "",
    release: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Start a run; its live page next, or the form with the reason it could not start.
    `rooms`: "home" (one room per ministry), "pooled", or "" (the edition kind's default);
    `release`: a re-plan's published meetings it may move or drop, by request number."""
    edition = _edition(session, edition_id, principal)
    values = {"mode": mode, "time_limit_s": time_limit_s, "rooms": rooms, "release": release}
    try:
        numbers = release.replace(",", " ").split()
        if not all(n.isdigit() for n in numbers):
            raise FormErrors(
                {"release": "Escriba los números de solicitud separados por comas (p. ej. 12, 15)."}
            )
        run_in = parse(
            RunOptionsIn,
            {
                "mode": mode,
                "time_limit_s": time_limit_s or None,
                "home_rooms": {"home": True, "pooled": False}.get(rooms),
                "release": [int(n) for n in numbers],
            },
        )
        run = runs.start_run(
            session=session,
            edition=edition,
            run_in=run_in,
            created_by=f"key:{principal.key_id}",
            settings=request.app.state.settings,
        )
    except FormErrors as exc:
        return _list_page(
            request, session, edition, 0, values=values, errors=exc.errors, status_code=422
        )
    except Conflict as exc:
        session.rollback()
        return _list_page(
            request,
            session,
            edition,
            0,
            values=values,
            errors={"__all__": exc.detail},
            status_code=409,
        )
    flash(request, messages.RUN_STARTED.format(id=run.id))
    return redirect(request, f"/editions/{edition.id}/runs/{run.id}")


def _live_context(session: Session, edition: Edition, run_id: int) -> dict[str, Any]:
    row = runs.get_run(session=session, edition=edition, run_id=run_id)
    run = runs.render_run(row)
    unscheduled: list[dict[str, Any]] = []
    names: dict[str, dict[str, str]] = {"delegations": {}, "sectors": {}}
    if run.result is not None and run.result.unscheduled:
        participants = list_participants(
            session=session, edition=edition, page=Pagination(limit=MAX_PARTICIPANTS, offset=0)
        )
        names = {
            "delegations": {d.code: d.name for d in participants.delegations},
            "sectors": {s.code: s.name for s in participants.sectors},
        }
        by_id = {
            r.id: r
            for r in service.read_requests(
                session=session,
                edition=edition,
                request_ids=[u.request_id for u in run.result.unscheduled],
            )
        }
        unscheduled = [
            {"why": u.detail, "request": by_id.get(u.request_id), "id": u.request_id}
            for u in run.result.unscheduled
        ]
    gap = run_gap(run)
    return {
        "edition": edition,
        "run": run,
        "active": run.status in ACTIVE_RUN_STATUSES,
        "status": RUN_STATUS[run.status],
        "mode": RUN_MODE.get(run.mode, run.mode),
        "stage": run_stage(run),
        "gap": None if gap is None else f"{gap:.1f} %",
        "sentence": run_sentence(run),
        "score": run_score(run, len(row.assignments or [])),
        "unscheduled": unscheduled,
        "names": names,
        "base": f"/editions/{edition.id}/runs/{run.id}",
    }


@router.get("/editions/{edition_id}/runs/{run_id}", name="runs:live")
def live_page(
    request: Request, edition_id: int, run_id: int, session: SessionDep, principal: SdUser
) -> Response:
    """A run followed live: chart, stage, gap, sentence, cancel; the result once it ends."""
    edition = _edition(session, edition_id, principal)
    context = _live_context(session, edition, run_id)
    return render_page(
        request,
        "pages/runs/live.html",
        title=f"Cálculo {run_id} · {edition.name}",
        tab="runs",
        stages_json=json.dumps(STAGE, ensure_ascii=False),
        **context,
    )


@router.get("/editions/{edition_id}/runs/{run_id}/status", name="runs:status")
def status_panel(
    request: Request, edition_id: int, run_id: int, session: SessionDep, principal: SdUser
) -> Response:
    """The live page's status panel (refreshed every second while the run is active)."""
    edition = _edition(session, edition_id, principal)
    return render_page(
        request, "pages/runs/_status.html", **_live_context(session, edition, run_id)
    )


@router.get("/editions/{edition_id}/runs/{run_id}/events", name="runs:events")
def events(
    request: Request, edition_id: int, run_id: int, session: SessionDep, principal: SdUser
) -> StreamingResponse:
    """The run's Server-Sent Events for the chart: `progress` points, then `done`."""
    edition = _edition(session, edition_id, principal)
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


@router.post("/editions/{edition_id}/runs/{run_id}/cancel", name="runs:cancel")
def cancel(
    request: Request, edition_id: int, run_id: int, session: SessionDep, principal: SdUser
) -> Response:
    """Cancel a queued run, or ask a running one to stop."""
    edition = _edition(session, edition_id, principal)
    try:
        runs.cancel_run(session=session, edition=edition, run_id=run_id)
    except Conflict as exc:
        flash(request, exc.detail, "error")
    else:
        flash(request, messages.RUN_CANCEL_REQUESTED.format(id=run_id))
    return redirect(request, f"/editions/{edition.id}/runs/{run_id}")
