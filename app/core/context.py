"""The request being served: its id and who acts in it, for the logs and the audit log.

The request middleware opens one `RequestContext` per HTTP request. The principal is
resolved later, in a dependency that FastAPI may run in a worker thread: a thread sees a
copy of the context variables, so the context is a mutable object that the dependency
fills in (`set_actor`), not a variable it sets. Outside a request (background jobs, the
command line) there is no context and the actor is the system.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from enum import StrEnum


class ActorKind(StrEnum):
    api_key = "api_key"
    user = "user"
    system = "system"  # background jobs, the command line, start-up
    anonymous = "anonymous"  # a request without a key or a session (e.g. a failed login)


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None
    label: str  # the key's name, the account's e-mail, "sistema"
    role: str | None = None


SYSTEM = Actor(ActorKind.system, None, "sistema")
ANONYMOUS = Actor(ActorKind.anonymous, None, "anónimo")


@dataclass
class RequestContext:
    request_id: str
    actor: Actor | None = field(default=None)


_current: ContextVar[RequestContext | None] = ContextVar("articula_request", default=None)

# A client's X-Request-ID is kept when it looks like an id (no spaces, quotes or control
# characters that would spoil a log line or a header); anything else gets a fresh one.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def request_id_from(header: str | None) -> str:
    """The client's request id if sane, else a new random one (32 hex digits)."""
    if header and _SANE_ID.match(header):
        return header
    return uuid.uuid4().hex


def begin(request_id: str) -> Token[RequestContext | None]:
    return _current.set(RequestContext(request_id=request_id))


def end(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


def request_id() -> str | None:
    ctx = _current.get()
    return ctx.request_id if ctx else None


def set_actor(actor: Actor) -> None:
    """Record who acts in the current request (no-op outside a request)."""
    ctx = _current.get()
    if ctx is not None:
        ctx.actor = actor


def actor() -> Actor:
    """Who acts now: the request's principal, anonymous in a request without one, else the
    system."""
    ctx = _current.get()
    if ctx is None:
        return SYSTEM
    return ctx.actor or ANONYMOUS
