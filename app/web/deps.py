"""Who is looking at a page: the logged-in user of the session cookie, as a `Principal`.

`PageUser` needs any logged-in user; `SdUser` the SD team, and looks like a page that does
not exist (404) to every other role, exactly like the SD-only API routes. The same holds
for `DelegationUser`, `SectorUser` and `RapporteurUser`; the first two carry their party's
code, which their pages' addresses repeat (another party's address is a 404).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request

from app.access.models import Role, User
from app.access.principal import Principal
from app.access.users import principal_of, session_user
from app.core import context
from app.core.context import Actor, ActorKind
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.editions.service import get_delegation, get_sector
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
    context.set_actor(Actor(ActorKind.user, user.id, user.email, str(user.role)))
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


def _no_page() -> NotFound:
    return NotFound("La página solicitada no existe.")


def _delegation_principal(principal: PagePrincipal, session: SessionDep) -> Principal:
    if principal.role != Role.delegation or principal.delegation_id is None:
        raise _no_page()
    delegation = get_delegation(session=session, delegation_id=principal.delegation_id)
    return replace(principal, delegation_code=delegation.code)


DelegationUser = Annotated[Principal, Depends(_delegation_principal)]


def _sector_principal(principal: PagePrincipal, session: SessionDep) -> Principal:
    if principal.role != Role.sector or principal.sector_id is None:
        raise _no_page()
    sector = get_sector(session=session, sector_id=principal.sector_id)
    return replace(principal, sector_code=sector.code)


SectorUser = Annotated[Principal, Depends(_sector_principal)]


def _rapporteur_principal(principal: PagePrincipal) -> Principal:
    if principal.role != Role.rapporteur:
        raise _no_page()
    return principal


RapporteurUser = Annotated[Principal, Depends(_rapporteur_principal)]


def own_code(principal: Principal, code: str) -> None:
    """A delegation's or sector's page exists only under its own code."""
    if code.upper() not in (principal.delegation_code, principal.sector_code):
        raise _no_page()
