"""One Jinja2 environment and one `render_page` for every page.

A normal request gets the whole document; an HTMX request aimed at `#main` (boosted links
and forms) gets the title, the navigation (out of band) and the content block only, so
pages need no HTMX-specific code. Fragments (a table row, the counters) are templates that
do not extend the layout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.web import messages
from app.web.format import FILTERS
from app.web.security import CSRF_FIELD, CSRF_HEADER, csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters.update(FILTERS)
templates.env.globals.update(
    ROLE=messages.ROLE,
    TOPIC_KIND=messages.TOPIC_KIND,
    TOPIC_STATUS=messages.TOPIC_STATUS,
    BLOCK_KIND=messages.BLOCK_KIND,
    CSRF_FIELD=CSRF_FIELD,
)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def is_partial(request: Request) -> bool:
    """An HTMX navigation that swaps the page's main area."""
    return is_htmx(request) and request.headers.get("HX-Target") == "main"


def flash(request: Request, message: str, kind: str = "success") -> None:
    """A message shown once, on the next page rendered for this session."""
    request.session.setdefault("flash", []).append({"kind": kind, "text": message})
    request.session["flash"] = request.session["flash"]  # mark the session modified


def render_page(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page (or a fragment) with the user, the CSRF token and pending messages."""
    token = csrf_token(request)
    context.setdefault("title", "Articula")
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": getattr(request.state, "user", None),
            "csrf_token": token,
            "csrf_headers": json.dumps({CSRF_HEADER: token}),
            "flashes": request.session.pop("flash", []) if token else [],
            "partial": is_partial(request),
            **context,
        },
        status_code=status_code,
    )


def redirect(request: Request, url: str, *, reload: bool = False) -> Response:
    """After a successful form: 303 for a browser, an HTMX navigation for HTMX (a full
    page load with `reload`, when the session changed: new CSRF token, new navigation)."""
    if is_htmx(request) and reload:
        return Response(status_code=200, headers={"HX-Redirect": url})
    if is_htmx(request):
        target = json.dumps({"path": url, "target": "#main"})
        return Response(status_code=200, headers={"HX-Location": target})
    return RedirectResponse(url, status_code=303)


def attachment(content: bytes, media_type: str, filename: str, etag: str | None = None) -> Response:
    """A file download: the bytes with their media type, saved under `filename`."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if etag:
        headers["ETag"] = etag
    return Response(content, media_type=media_type, headers=headers)
