"""Engine and the one-transaction-per-request session dependency."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from app.core import audit  # noqa: F401  (its hooks record the writes of every Session)

SQLITE_BUSY_TIMEOUT_S = 30
# A connection for each thread of Starlette's pool (40) that runs requests: readers never
# wait for a connection, and writers wait on the writers' queue, not on the pool.
SQLITE_POOL_SIZE = 40
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_HOLDS_WRITE_LOCK = "articula_holds_write_lock"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys on, WAL, a busy timeout and one queue for
    the process's writers (`_queue_sqlite_writers`)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
            **({} if "poolclass" in kwargs else {"pool_size": SQLITE_POOL_SIZE}),
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        _queue_sqlite_writers(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _queue_sqlite_writers(engine: Engine) -> None:
    """SQLite has one writer at a time. Left to itself, a writer that finds the database
    locked sleeps and polls (the busy handler), so under many writers the wait goes to
    whoever polls at the right moment. Here a transaction takes a process-wide lock at its
    first write and gives it back at commit or rollback: the process's writers queue on the
    lock instead of polling. Other processes (workers, the CLI) still meet the busy handler.
    A writer that waits longer than the busy timeout gets "database is locked", as SQLite
    would answer it."""
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _take(conn: Connection, _c: Any, statement: str, *_args: Any) -> None:
        info = conn.connection.info  # the DBAPI connection's: it outlives this Connection
        if info.get(_HOLDS_WRITE_LOCK) or not statement.lstrip().upper().startswith(_WRITES):
            return
        if not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked")
        info[_HOLDS_WRITE_LOCK] = True

    def _give_back(info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_WRITE_LOCK, False):
            lock.release()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Connection) -> None:
        _give_back(conn.connection.info)

    @event.listens_for(engine.pool, "reset")
    def _reset(_dbapi: Any, record: Any, _state: Any) -> None:
        _give_back(record.info)

    @event.listens_for(engine.pool, "invalidate")
    def _invalidated(_dbapi: Any, record: Any, _exception: Any) -> None:
        _give_back(record.info)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: services add and flush, this commits or rolls back."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": the commit happens before the response is sent, so a failed commit
# is an error response, never a 200 for data that was not stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
