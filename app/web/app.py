"""Mount the web application on the service: session cookie, static files, the pages of
every area, HTML error pages, and the Swagger UI of `/docs` from local assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from app.core.config import Settings
from app.web import (
    access,
    audit,
    delegation,
    editions,
    followup,
    ministry,
    publish,
    rapporteur,
    requests,
    review,
    runs,
    schedule,
    setup,
)
from app.web.errors import install_page_errors
from app.web.security import SESSION_COOKIE, secret_key

STATIC_DIR = Path(__file__).parent / "static"

# Every page router, one per area, in one visible list.
PAGE_ROUTERS: list[APIRouter] = [
    access.router,
    editions.router,
    setup.router,
    review.router,
    schedule.router,
    publish.router,
    followup.router,
    audit.router,
    requests.router,
    runs.router,
    delegation.router,
    ministry.router,
    rapporteur.router,
]


def install_web(app: FastAPI, settings: Settings) -> None:
    """Add the pages to `app` (after the API's routers and error handlers)."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.session_cookie_secure,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    install_page_errors(app)

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
        )
