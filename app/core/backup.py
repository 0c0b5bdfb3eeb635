"""Consistent copies of the database and their restoration (`articula backup` / `restore`).

- SQLite: SQLite's online backup API copies the database page by page while the service
  keeps serving; the copy is one consistent snapshot that includes every committed write
  (the WAL too). A restore copies the backup over the configured file the same way.
- PostgreSQL: `pg_dump --format=custom` of the whole database (procrastinate's queue tables
  included) and `pg_restore --clean --if-exists --no-owner --single-transaction`. Both
  programs come with `postgresql-client`; the password travels in PGPASSWORD, not argv.

Restore with the service stopped. What the restored data means for the outbox (queued
e-mails are held until the SD releases them) is decided by the caller, not here.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that could not be done (message in Spanish, for the operator)."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    size: int


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database:
        raise BackupError("La URL de la base de datos no es un archivo SQLite.")
    return Path(url.database)


def _pg_target(database_url: str) -> tuple[str, dict[str, str]]:
    """The libpq URI without its password, and the environment carrying the password."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None)
    return uri.render_as_string(hide_password=False), env


def pg_tools_missing() -> list[str]:
    """The PostgreSQL client programs this machine lacks (empty when both are installed)."""
    return [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]


def _require_pg_tools() -> None:
    missing = pg_tools_missing()
    if missing:
        raise BackupError(
            f"Faltan {', '.join(missing)}: instale postgresql-client para respaldar PostgreSQL."
        )


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database onto another with the online backup API."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def backup(*, database_url: str, target: Path) -> BackupInfo:
    """Write a consistent copy of the database to `target` (not overwritten if it exists)."""
    if target.exists():
        raise BackupError(f"El archivo {target} ya existe; elija otro nombre.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if make_url(database_url).drivername.startswith("sqlite"):
        source = sqlite_path(database_url)
        if not source.exists():
            raise BackupError(f"No existe la base de datos {source}.")
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        _sqlite_copy(source, partial)
        os.replace(partial, target)
        return BackupInfo(target, "sqlite", target.stat().st_size)
    _require_pg_tools()
    uri, env = _pg_target(database_url)
    partial = target.with_name(target.name + ".partial")
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={uri}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump falló: {result.stderr.strip()[:2000]}")
    os.replace(partial, target)
    return BackupInfo(target, "postgresql", target.stat().st_size)


def restore(*, database_url: str, source: Path) -> BackupInfo:
    """Replace the database's contents with the backup `source` (the service stopped)."""
    if not source.is_file():
        raise BackupError(f"No existe el respaldo {source}.")
    with source.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    sqlite = make_url(database_url).drivername.startswith("sqlite")
    if sqlite and not head.startswith(SQLITE_MAGIC):
        raise BackupError("El respaldo no es una base SQLite; restáurelo en PostgreSQL.")
    if not sqlite and not head.startswith(PG_DUMP_MAGIC):
        raise BackupError("El respaldo no es un volcado de pg_dump; restáurelo en SQLite.")
    if sqlite:
        target = sqlite_path(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target)
        return BackupInfo(source, "sqlite", source.stat().st_size)
    _require_pg_tools()
    uri, env = _pg_target(database_url)
    result = subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={uri}",
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore falló: {result.stderr.strip()[:2000]}")
    return BackupInfo(source, "postgresql", source.stat().st_size)
