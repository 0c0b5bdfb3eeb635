"""Who is looking at a page: the logged-in user of the session cookie, as a `Principal`.

`PageUser` needs any logged-in user; `SdUser` the SD team, and looks like a page that does
not exist (404) to every other role, exactly like the SD-only API routes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.access.models import Role, User
from app.access.principal import Principal
from app.access.users import principal_of, session_user
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.web import messages
from app.web.security import LoginRequired


def _page_user(request: Request, session: SessionDep) -> User:
    user_id, epoch = request.session.get("uid"), request.session.get("ep")
    user = None
    if isinstance(user_id, int) and isinstance(epoch, int):
        user = session_user(session=session, user_id=user_id, epoch=epoch)
    if user is None:
        request.session.pop("uid", None)
        request.session.pop("ep", None)
        raise LoginRequired(messages.LOGIN_REQUIRED)
    # the layout's navigation reads it, error pages too (after a rollback): plain data only
    request.state.user = principal_of(user)
    return user


PageUser = Annotated[User, Depends(_page_user)]


def _page_principal(user: PageUser) -> Principal:
    return principal_of(user)


PagePrincipal = Annotated[Principal, Depends(_page_principal)]


def _sd_principal(principal: PagePrincipal) -> Principal:
    if principal.role != Role.sd_admin:
        raise NotFound("La página solicitada no existe.")
    return principal


SdUser = Annotated[Principal, Depends(_sd_principal)]
