"""Log in (the page at `/`), log out, change of password, and each role's home page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from app.access import users
from app.access.models import Role
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Invalid, Unauthorized
from app.editions.service import get_delegation, get_sector
from app.web import messages
from app.web.deps import PageUser
from app.web.security import check_csrf
from app.web.templating import flash, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def home_of(role: Role | str) -> str:
    """Where a role lands after logging in."""
    return "/editions" if role == Role.sd_admin else "/inicio"


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site (no scheme, no host) is a valid destination."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _logged_in_role(request: Request, session: SessionDep) -> Role | None:
    user_id, epoch = request.session.get("uid"), request.session.get("ep")
    if not (isinstance(user_id, int) and isinstance(epoch, int)):
        return None
    user = users.session_user(session=session, user_id=user_id, epoch=epoch)
    return Role(user.role) if user else None


@router.get("/", name="access:login")
def login_page(request: Request, session: SessionDep, next: str | None = None) -> Response:
    """The login form, or the role's home page when already logged in."""
    role = _logged_in_role(request, session)
    if role is not None:
        return redirect(request, _safe_next(next) or home_of(role))
    return render_page(
        request, "pages/access/login.html", title="Iniciar sesión", next=_safe_next(next)
    )


@router.post("/", name="access:login_submit")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the password (throttled per account and per address) and open a session."""
    settings = request.app.state.settings
    try:
        user = users.authenticate(
            session=session,
            email=email,
            password=password,
            address=request.client.host if request.client else "unknown",
            now=clock.now(),
            window=dt.timedelta(seconds=settings.login_window_s),
            max_per_account=settings.login_max_failures_per_account,
            max_per_address=settings.login_max_failures_per_address,
        )
    except Unauthorized as exc:
        # returned, not raised: the session dependency commits the recorded failure
        return render_page(
            request,
            "pages/access/login.html",
            status_code=401,
            title="Iniciar sesión",
            email=email,
            error=exc.detail,
            next=_safe_next(next),
        )
    request.session.clear()  # a fresh session: new CSRF token, nothing carried over
    request.session.update({"uid": user.id, "ep": user.session_epoch})
    return redirect(request, _safe_next(next) or home_of(user.role), reload=True)


@router.post("/logout", name="access:logout")
def logout(request: Request) -> Response:
    """End this session."""
    request.session.clear()
    flash(request, messages.LOGGED_OUT)
    return redirect(request, "/", reload=True)


@router.get("/inicio", name="access:home")
def home(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Each party's own pages: a delegation's or a sector's under its code, a rapporteur's
    meetings; the welcome page otherwise."""
    if user.role == Role.delegation and user.delegation_id is not None:
        code = get_delegation(session=session, delegation_id=user.delegation_id).code
        return redirect(request, f"/delegations/{code}")
    if user.role == Role.sector and user.sector_id is not None:
        return redirect(
            request, f"/sectors/{get_sector(session=session, sector_id=user.sector_id).code}"
        )
    if user.role == Role.rapporteur:
        return redirect(request, "/rapporteur")
    return render_page(request, "pages/access/home.html", title="Inicio")


@router.get("/password", name="access:password")
def password_page(request: Request, user: PageUser) -> Response:
    return render_page(request, "pages/access/password.html", title="Cambiar contraseña")


@router.post("/password", name="access:password_submit")
def change_password(
    request: Request,
    session: SessionDep,
    user: PageUser,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    confirm_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Change the password; this session stays open, every other one ends."""
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors["confirm_password"] = "La confirmación no coincide con la nueva contraseña."
    else:
        try:
            users.change_password(
                session=session,
                user=user,
                current_password=current_password,
                new_password=new_password,
                now=clock.now(),
            )
        except Invalid as exc:
            errors[str(exc.extensions.get("field", "new_password"))] = exc.detail
    if errors:
        return render_page(
            request,
            "pages/access/password.html",
            status_code=422,
            title="Cambiar contraseña",
            errors=errors,
        )
    request.session["ep"] = user.session_epoch
    flash(request, messages.PASSWORD_CHANGED)
    return redirect(request, home_of(user.role))
