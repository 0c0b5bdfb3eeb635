"""What a database conflict was, in words a region or ministry reads, and whether the same
request may succeed if sent again.

Two kinds of database error reach the API as a 409:
- a constraint violation (`IntegrityError`): found by constraint name (psycopg's
  `diag.constraint_name`) or, on SQLite, by the table and columns of its message ("UNIQUE
  constraint failed: room.edition_id, room.name"); names follow the metadata's naming
  convention (app/__init__.py). Most are not retryable: the data is already there.
- a lost race of concurrent transactions: SQLite's "database is locked", PostgreSQL's
  serialization failure (40001), deadlock (40P01) or lock timeout (55P03). Nothing was
  stored and the same request may succeed a moment later (retryable, with `Retry-After`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, IntegrityError

RETRY_AFTER_S = 1
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\w+)")
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}


@dataclass(frozen=True)
class DbConflict:
    detail: str
    retryable: bool
    constraint: str | None = None


@dataclass(frozen=True)
class _Known:
    table: str
    columns: tuple[str, ...]
    detail: str
    retryable: bool = False


# Unique constraints and indexes a request can run into, by name (see the naming convention).
KNOWN: dict[str, _Known] = {
    "ix_delegation_code": _Known(
        "delegation", ("code",), "Ya existe una delegación con ese código."
    ),
    "ix_sector_code": _Known("sector", ("code",), "Ya existe un sector con ese código."),
    "ix_user_account_email": _Known(
        "user_account", ("email",), "Ya existe una cuenta con ese correo electrónico."
    ),
    "uq_room_edition_id_name": _Known(
        "room", ("edition_id", "name"), "Ya existe una sala con ese nombre en esta edición."
    ),
    "uq_edition_day_edition_id_date": _Known(
        "edition_day", ("edition_id", "date"), "La edición ya tiene un día con esa fecha."
    ),
    "uq_edition_day_edition_id_position": _Known(
        "edition_day", ("edition_id", "position"), "La edición ya tiene un día en esa posición."
    ),
    "uq_commitment_import_sha256": _Known(
        "commitment_import", ("sha256",), "Ese archivo de compromisos ya fue importado."
    ),
    "uq_rapporteur_assignment_edition_id_request_id": _Known(
        "rapporteur_assignment",
        ("edition_id", "request_id"),
        "Otra solicitud asignó un relator a esa reunión al mismo tiempo.",
        retryable=True,
    ),
    "uq_meeting_record_edition_id_request_id": _Known(
        "meeting_record",
        ("edition_id", "request_id"),
        "Otra solicitud registró el acta de esa reunión al mismo tiempo.",
        retryable=True,
    ),
    "uq_topic_list_version_edition_id_delegation_id_number": _Known(
        "topic_list_version",
        ("edition_id", "delegation_id", "number"),
        "Otra solicitud registró una versión de la lista de temas al mismo tiempo.",
        retryable=True,
    ),
    "uq_schedule_version_edition_id_number": _Known(
        "schedule_version",
        ("edition_id", "number"),
        "Otra solicitud publicó una versión del cronograma al mismo tiempo.",
        retryable=True,
    ),
    "uq_idempotency_record_principal_key_key": _Known(
        "idempotency_record",
        ("principal_key", "key"),
        "Una solicitud con la misma Idempotency-Key está en curso.",
        retryable=True,
    ),
    "ux_solve_run_active_edition": _Known(
        "solve_run",
        ("edition_id",),
        "Ya hay un cálculo en curso para esta edición; espere a que termine o cancélelo.",
    ),
}
_BY_COLUMNS = {(k.table, k.columns): name for name, k in KNOWN.items()}


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def is_transient(exc: DBAPIError) -> bool:
    """Whether the error is a lost race that a retry of the whole request may win."""
    if _sqlstate(exc) in _TRANSIENT_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database table is locked" in message


def _constraint_name(exc: DBAPIError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and diag.constraint_name:
        return str(diag.constraint_name)
    message = str(exc.orig)
    if found := _SQLITE_UNIQUE.search(message):
        pairs = [c.strip().split(".", 1) for c in found["columns"].split(",")]
        table = pairs[0][0]
        return _BY_COLUMNS.get(
            (table, tuple(column for _, column in pairs)),
            f"uq_{table}_{'_'.join(column for _, column in pairs)}",
        )
    if found := _SQLITE_CHECK.search(message):
        return found["name"]
    return None


def describe(exc: DBAPIError) -> DbConflict:
    """The Spanish detail of a conflict and whether a retry may help."""
    if is_transient(exc):
        return DbConflict(
            "Otra operación modificaba los mismos datos al mismo tiempo; no se guardó ningún "
            "cambio. Reintente en un momento.",
            retryable=True,
        )
    name = _constraint_name(exc)
    if name in KNOWN:
        known = KNOWN[name]
        return DbConflict(known.detail, retryable=known.retryable, constraint=name)
    message = str(exc.orig)
    if _sqlstate(exc) == "23503" or "FOREIGN KEY constraint failed" in message:
        return DbConflict(
            "Los datos hacen referencia a un registro que no existe o que fue eliminado.",
            retryable=False,
            constraint=name,
        )
    if isinstance(exc, IntegrityError) and (
        _sqlstate(exc) == "23505" or "UNIQUE constraint failed" in message
    ):
        return DbConflict("Ya existe un registro con esos datos.", retryable=False, constraint=name)
    return DbConflict(
        "La operación entra en conflicto con datos ya registrados.",
        retryable=False,
        constraint=name,
    )
