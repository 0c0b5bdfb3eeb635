"""The session cookie's secret key and the CSRF token of every form.

The session itself is Starlette's `SessionMiddleware`: a cookie signed with itsdangerous,
HttpOnly, SameSite=Lax, `Secure` when `session_cookie_secure` is set. It holds the user id,
the user's `session_epoch` (raised by a password change or a disabled account, which ends
every other session) and a random CSRF token.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import Request
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.errors import DomainError
from app.web import messages

SESSION_COOKIE = "articula_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECRET_FILE_NAME = "articula.secret"


class CsrfRejected(DomainError):
    status, slug = 403, "csrf"


class LoginRequired(DomainError):
    """A page needs a logged-in user: pages answer with a redirect to the login page."""

    status, slug = 401, "login-required"


def secret_key_path(settings: Settings) -> Path:
    """Where the generated key lives: next to the SQLite file, else the working directory."""
    if settings.secret_key_file is not None:
        return settings.secret_key_file
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            return Path(database).resolve().parent / SECRET_FILE_NAME
    return Path.cwd() / SECRET_FILE_NAME


def secret_key(settings: Settings) -> str:
    """ARTICULA_SECRET_KEY, else the key in the local file (created once, mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = secret_key_path(settings)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # generated before, possibly by another process
        key = path.read_text().strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} holds no secret key; delete it to regenerate") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); empty outside a session."""
    if "session" not in request.scope:  # an error raised before the session middleware
        return ""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Every unsafe request of the pages carries the session's token, as the HTMX header
    or the hidden form field; otherwise 403 before anything runs."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf") if "session" in request.scope else None
    sent = [request.headers.get(CSRF_HEADER)]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        sent.append((await request.form()).get(CSRF_FIELD))  # type: ignore[arg-type]
    if not expected or not any(
        isinstance(token, str) and secrets.compare_digest(token, expected) for token in sent
    ):
        raise CsrfRejected(messages.CSRF_FAILED)
