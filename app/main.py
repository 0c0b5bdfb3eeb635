"""The FastAPI application factory (`uvicorn --factory app.main:create_app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy.engine import Engine

import app.models  # noqa: F401  (every table registered before the first query)
from app.access.audit_router import router as audit_router
from app.access.guard import AuthenticateFirst
from app.access.router import router as access_router
from app.access.throttle import FailureWindow
from app.agendas.router import feeds_router
from app.agendas.router import router as agendas_router
from app.commitments.router import editions_router as commitments_editions_router
from app.commitments.router import router as commitments_router
from app.core import jobs
from app.core.config import Settings, get_settings
from app.core.db import make_engine
from app.core.errors import install_error_handlers, install_problem_docs
from app.core.middleware import Admission, BodyLimit, RequestContext, SecurityHeaders
from app.editions.router import catalog as catalog_router
from app.editions.router import router as editions_router
from app.mail.router import router as mail_router
from app.scheduling.adjust_router import router as adjust_router
from app.scheduling.router import router as scheduling_router
from app.scheduling.runs_router import router as runs_router
from app.submissions.router import router as submissions_router
from app.web.app import install_web

# Every router of the service, in one visible list.
ROUTERS: list[APIRouter] = [
    access_router,
    audit_router,
    catalog_router,
    editions_router,
    submissions_router,
    scheduling_router,
    runs_router,
    adjust_router,
    agendas_router,
    feeds_router,
    mail_router,
    commitments_editions_router,
    commitments_router,
]


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the application: settings, engine, error handlers and routers."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The job engine: in-process threads (embedded) or the procrastinate queue.
        jobs.start(engine=app.state.engine, database_url=settings.database_url, settings=settings)
        try:
            yield
        finally:
            jobs.stop()

    application = FastAPI(
        lifespan=lifespan,
        title="Articula",
        summary="Agendas y bilaterales del GORE Ejecutivo y del MUNI Ejecutivo",
        version="0.1.0",
        docs_url=None,  # served by install_web from the vendored Swagger UI
        redoc_url=None,
    )
    application.state.settings = settings
    application.state.engine = engine or make_engine(settings.database_url)
    application.state.auth_failures = FailureWindow(
        limit=settings.api_auth_max_failures_per_address, window_s=settings.api_auth_window_s
    )
    install_error_handlers(application)
    for router in ROUTERS:
        application.include_router(router)
    install_problem_docs(application)

    @application.get("/health", tags=["meta"], response_model=dict[str, str])
    def health() -> dict[str, str]:
        """Liveness probe."""
        return {"status": "ok"}

    install_web(application, settings)
    # Outermost last: the request id around everything, headers on every answer, the key
    # checked before the body is read, its size before it waits for a turn.
    if settings.max_concurrent_requests:
        application.add_middleware(
            Admission,
            limit=settings.max_concurrent_requests,
            timeout_s=settings.request_queue_timeout_s,
        )
    application.add_middleware(
        BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes
    )
    application.add_middleware(AuthenticateFirst)
    application.add_middleware(SecurityHeaders)
    application.add_middleware(RequestContext)
    return application
