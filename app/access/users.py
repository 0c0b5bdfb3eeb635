"""User accounts: people log in with an e-mail and a password (argon2), API keys stay for
machines. A user has one role and scope exactly like an API key and acts through its own
identity key, so a logged-in person is the same `Principal` the API routes know.

Failed logins are stored (`LoginFailure`), so the throttle holds across processes: too
many failures for one account, or from one address, within the window refuse further
attempts (even with the right password) until the window has passed.
"""

from __future__ import annotations

import datetime as dt
import math

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, col, delete, func, select

from app.access.models import ApiKey, LoginFailure, Role, User
from app.access.principal import Principal
from app.access.service import create_key
from app.core.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from app.core.pagination import Page, Pagination

PASSWORD_MIN = 10
PASSWORD_MAX = 128
BAD_CREDENTIALS = "Correo o contraseña incorrectos."

_hasher = PasswordHash((Argon2Hasher(),))
# Verified when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("articula-dummy-password")


class Throttled(TooManyRequests):
    """Too many failed logins: the account or the address waits until the window passes."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < PASSWORD_MIN:
        raise Invalid(f"La contraseña debe tener al menos {PASSWORD_MIN} caracteres.", field=field)
    if len(password) > PASSWORD_MAX:
        raise Invalid(
            f"La contraseña puede tener a lo sumo {PASSWORD_MAX} caracteres.", field=field
        )


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    password: str,
    role: Role | str,
    delegation_id: int | None = None,
    sector_id: int | None = None,
) -> User:
    """Create an account and its identity key (same role and scope checks as a key)."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        raise Invalid("Indique un correo electrónico válido.", field="email")
    if not name.strip():
        raise Invalid("Indique el nombre de la persona.", field="name")
    _check_password(password)
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise Conflict(f"Ya existe una cuenta con el correo {email}.")
    try:
        key, _token = create_key(
            session=session,
            role=role,
            name=name.strip()[:120],
            delegation_id=delegation_id,
            sector_id=sector_id,
        )
    except ValueError as exc:  # the role/scope rule of ApiKeyCreate
        raise Invalid(
            "El rol no corresponde al ámbito: una delegación necesita su delegación, un "
            "sector su sector; SD y relatores ninguno."
        ) from exc
    user = User(
        email=email,
        name=name.strip()[:120],
        role=Role(role),
        delegation_id=delegation_id,
        sector_id=sector_id,
        key_id=key.id,  # type: ignore[arg-type]
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    session.flush()
    return user


def list_users(*, session: Session, page: Pagination, include_disabled: bool = True) -> Page[User]:
    """Accounts by e-mail."""
    query = select(User)
    if not include_disabled:
        query = query.where(col(User.disabled_at).is_(None))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(
        query.order_by(col(User.email)).limit(page.limit).offset(page.offset)
    ).all()
    return Page(items=list(items), total=total, limit=page.limit, offset=page.offset)


def get_user_by_email(*, session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise NotFound(f"No existe una cuenta con el correo {normalize_email(email)}.")
    return user


def disable_user(*, session: Session, user: User, now: dt.datetime) -> User:
    """Disable an account: its sessions end and its identity key is revoked."""
    if user.disabled_at is None:
        user.disabled_at = now
        user.session_epoch += 1
        key = session.get(ApiKey, user.key_id)
        if key is not None and key.revoked_at is None:
            key.revoked_at = now
            session.add(key)
        session.add(user)
        session.flush()
    return user


def _failures_since(session: Session, column: object, value: str, since: dt.datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(column == value, col(LoginFailure.at) >= since)  # type: ignore[operator]
    ).one()


def authenticate(
    *,
    session: Session,
    email: str,
    password: str,
    address: str,
    now: dt.datetime,
    window: dt.timedelta,
    max_per_account: int,
    max_per_address: int,
) -> User:
    """The active user with this e-mail and password. A failure is recorded (the caller
    commits it even though this raises); a throttled account or address is a 429."""
    email = normalize_email(email)[:254]
    address = address[:64]
    since = now - window
    if (
        _failures_since(session, col(LoginFailure.email), email, since) >= max_per_account
        or _failures_since(session, col(LoginFailure.address), address, since) >= max_per_address
    ):
        minutes = max(1, round(window.total_seconds() / 60))
        raise Throttled(
            "Demasiados intentos fallidos de inicio de sesión. Espere "
            f"{minutes} minutos antes de volver a intentarlo.",
            retry_after=math.ceil(window.total_seconds()),
        )
    user = session.exec(select(User).where(User.email == email)).first()
    valid = _hasher.verify(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not valid or user.disabled_at is not None:
        session.add(LoginFailure(email=email, address=address, at=now))
        session.flush()
        raise Unauthorized(BAD_CREDENTIALS)
    session.exec(delete(LoginFailure).where(col(LoginFailure.email) == email))  # type: ignore[call-overload]
    session.exec(delete(LoginFailure).where(col(LoginFailure.at) < since))  # type: ignore[call-overload]
    return user


def change_password(
    *, session: Session, user: User, current_password: str, new_password: str, now: dt.datetime
) -> User:
    """Change the password (the current one is required); other sessions end."""
    if not _hasher.verify(current_password, user.password_hash):
        raise Invalid("La contraseña actual no es correcta.", field="current_password")
    _check_password(new_password, "new_password")
    if new_password == current_password:
        raise Invalid("La nueva contraseña debe ser distinta de la actual.", field="new_password")
    user.password_hash = _hasher.hash(new_password)
    user.password_changed_at = now
    user.session_epoch += 1
    session.add(user)
    session.flush()
    return user


def session_user(*, session: Session, user_id: int, epoch: int) -> User | None:
    """The user of a session cookie, if the account is active and the session still valid."""
    user = session.get(User, user_id)
    if user is None or user.disabled_at is not None or user.session_epoch != epoch:
        return None
    return user


def principal_of(user: User) -> Principal:
    """The principal a logged-in user acts as (through its identity key)."""
    return Principal(
        key_id=user.key_id,
        role=Role(user.role),
        name=user.name,
        delegation_id=user.delegation_id,
        sector_id=user.sector_id,
    )
