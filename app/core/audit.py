"""The audit log: one append-only row per written database row (who, when, what, before and
after), inserted by Session hooks in the same transaction as the change.

Two hooks on every `Session` record every write path without the services calling them:
- `after_flush`: each object the flush inserted, updated or deleted. An insert stores the
  new row in `after`, a delete the old row in `before`, an update only the changed columns
  (old values in `before`, new ones in `after`).
- `do_orm_execute`: statements run through `Session.execute` (`sa.update`, `sa.delete`,
  `sa.insert`). UPDATE and DELETE read the rows they match first (and an UPDATE reads them
  again after), so they leave one row per changed row like the flush; a bulk INSERT leaves
  one row for the statement (`object_id` "*", `after` = {"rows": n}).
Statements on a bare connection (`engine.begin()`, the outbox dispatcher) are not recorded.

The rows are inserted with the session's connection, so a rollback removes them with the
change. Nothing updates or deletes them: no route does, and the hooks skip this table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.util import identity_key
from sqlmodel import Field, SQLModel

from app.core import clock, context
from app.core.types import UTCDateTime

TABLE = "audit_entry"

# Tables whose writes are bookkeeping, not decisions anyone answers for.
NOISE_TABLES: dict[str, str] = {
    TABLE: "the audit log itself",
    "idempotency_record": "a replay cache of answers already audited with their write",
    "login_failure": "throttle counter of failed logins (kept for a time window)",
    "outbox_attachment": "the bytes of an e-mail's attachments (the message row is audited)",
    "delivery_log": "the outbox's own log of delivery attempts",
    "agenda_document": "a published version's documents, rendered from audited rows",
}
# Columns whose changes are not audited (an update that touches only these leaves no row).
NOISE_COLUMNS: dict[str, frozenset[str]] = {
    "solve_run": frozenset({"progress", "heartbeat_at"}),  # the running job's heartbeats
    "outbox_message": frozenset({"claimed_at"}),  # the dispatcher's lease
}
# Secrets are never copied: the audit row says the column changed, not its value.
REDACTED = "[redactado]"
SECRET_COLUMNS = frozenset({"key_hash", "password_hash", "token"})

# Tables without an edition_id column that belong to an edition through a parent row:
# table -> (foreign key column, parent table with an edition_id column).
EDITION_PARENTS: dict[str, tuple[str, str]] = {
    "day_block": ("day_id", "edition_day"),
    "scheduled_meeting": ("version_id", "schedule_version"),
    "meeting_request_sector": ("request_id", "meeting_request"),
    "meeting_request_topic": ("request_id", "meeting_request"),
    "topic_sector": ("topic_id", "topic"),
    "commitment_event": ("commitment_id", "commitment"),
    "commitment_evidence": ("commitment_id", "commitment"),
    "outbox_attachment": ("message_id", "outbox_message"),
}


class Action(enum.StrEnum):
    insert = "insert"
    update = "update"
    delete = "delete"


class AuditEntry(SQLModel, table=True):
    """One written row. No foreign keys: an entry outlives what it describes."""

    __tablename__ = TABLE
    __table_args__ = (
        sa.Index("ix_audit_entry_edition_id_at", "edition_id", "at"),
        sa.Index("ix_audit_entry_object", "object_type", "object_id"),
        sa.Index("ix_audit_entry_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_type=UTCDateTime)
    request_id: str | None = Field(default=None, max_length=64)
    actor_kind: str = Field(max_length=16)
    actor_id: int | None = None
    actor_label: str = Field(max_length=254)
    role: str | None = Field(default=None, max_length=20)
    edition_id: int | None = None
    object_type: str = Field(max_length=64)
    object_id: str = Field(max_length=64)
    action: str = Field(max_length=8)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)


_audit_table: sa.Table = AuditEntry.__table__  # type: ignore[attr-defined]


def _jsonable(column: str, value: Any) -> Any:
    if column in SECRET_COLUMNS and value is not None:
        return REDACTED
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"[{len(bytes(value))} bytes]"
    if isinstance(value, Mapping):
        return {str(k): _jsonable("", v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable("", v) for v in value]
    return str(value)


def _row(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _jsonable(key, value) for key, value in values.items()}


class _Recorder:
    """Collects the entries of one flush or statement and resolves their editions."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.entries: list[dict[str, Any]] = []
        self._parents: dict[tuple[str, Any], int | None] = {}
        actor = context.actor()
        self.common = {
            "at": clock.now(),
            "request_id": context.request_id(),
            "actor_kind": actor.kind.value,
            "actor_id": actor.id,
            "actor_label": actor.label[:254],
            "role": actor.role,
        }

    def _edition(self, table: str, values: Mapping[str, Any]) -> int | None:
        if table == "edition":
            return values.get("id")
        if "edition_id" in values:
            return values["edition_id"]
        parent = EDITION_PARENTS.get(table)
        if parent is None or values.get(parent[0]) is None:
            return None
        fk, parent_table = parent
        key = (parent_table, values[fk])
        if key not in self._parents:
            self._parents[key] = self._parent_edition(parent_table, values[fk])
        return self._parents[key]

    def parent_inserted(self, table: str, row_id: Any, edition_id: int) -> None:
        self._parents[(table, row_id)] = edition_id

    def _parent_edition(self, parent_table: str, parent_id: Any) -> int | None:
        """The parent's edition: from the session when it holds the parent, else a query."""
        cls = _class_of(parent_table)
        if cls is not None:
            parent = self.session.identity_map.get(identity_key(cls, parent_id))
            loaded = sa.inspect(parent).dict if parent is not None else {}
            if "edition_id" in loaded:
                return loaded["edition_id"]
        t = sa.table(parent_table, sa.column("id"), sa.column("edition_id"))
        query = sa.select(t.c.edition_id).where(t.c.id == parent_id)
        return self.session.connection().execute(query).scalar()

    def add(
        self,
        *,
        table: str,
        object_id: str,
        action: Action,
        values: Mapping[str, Any],
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        edition = self._edition(table, values)
        self.entries.append(
            self.common
            | {
                "edition_id": edition if isinstance(edition, int) else None,
                "object_type": table,
                "object_id": object_id[:64],
                "action": action.value,
                "before": before,
                "after": after,
            }
        )

    def add_change(
        self, *, table: str, object_id: str, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> None:
        """An update: the changed columns only, nothing if only noise columns changed."""
        noise = NOISE_COLUMNS.get(table, frozenset())
        changed = [k for k in new if k in old and old[k] != new[k] and k not in noise]
        if not changed:
            return
        self.add(
            table=table,
            object_id=object_id,
            action=Action.update,
            values=new,
            before=_row({k: old[k] for k in changed}),
            after=_row({k: new[k] for k in changed}),
        )

    def write(self) -> None:
        if self.entries:
            self.session.connection().execute(sa.insert(_audit_table), self.entries)


_class_by_table: dict[str, type] = {}


def _class_of(table: str) -> type | None:
    """The mapped class of a table (the map is rebuilt when a table is not in it yet)."""
    if table not in _class_by_table:
        for mapper in sa.inspect(AuditEntry).registry.mappers:
            _class_by_table[mapper.persist_selectable.name] = mapper.class_
    return _class_by_table.get(table)


def _object_id(values: Mapping[str, Any], pk: Iterable[str]) -> str:
    return ",".join(str(values.get(k)) for k in pk)


def _state_values(obj: Any, *, committed: bool) -> tuple[str, dict[str, Any], list[str]]:
    """The object's table, its column values (committed: as before this flush) and its
    primary key column names."""
    state = sa.inspect(obj)
    mapper = state.mapper
    table = mapper.persist_selectable.name
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        name = prop.columns[0].name
        if committed:
            history = state.attrs[prop.key].history
            if history.deleted:
                values[name] = history.deleted[0]
            elif history.unchanged:
                values[name] = history.unchanged[0]
            elif not history.added:  # not loaded
                values[name] = state.dict.get(prop.key)
            else:  # set without the old value ever loaded: unknown
                values[name] = None
        else:
            values[name] = state.dict.get(prop.key)
    pk = [c.name for c in mapper.primary_key]
    return table, values, pk


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    recorder = _Recorder(session)
    inserted = [_state_values(obj, committed=False) for obj in session.new]
    for table, values, pk in inserted:
        # Not in the identity map until the flush ends: a child inserted in the same flush
        # (a topic's sectors) finds its parent's edition here instead of in a query.
        if pk == ["id"] and values.get("edition_id") is not None:
            recorder.parent_inserted(table, values["id"], values["edition_id"])
    for table, values, pk in inserted:
        if table in NOISE_TABLES:
            continue
        recorder.add(
            table=table,
            object_id=_object_id(values, pk),
            action=Action.insert,
            values=values,
            before=None,
            after=_row(values),
        )
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        table, new, pk = _state_values(obj, committed=False)
        if table in NOISE_TABLES:
            continue
        _table, old, _pk = _state_values(obj, committed=True)
        recorder.add_change(table=table, object_id=_object_id(new, pk), old=old, new=new)
    for obj in session.deleted:
        table, values, pk = _state_values(obj, committed=True)
        if table in NOISE_TABLES:
            continue
        recorder.add(
            table=table,
            object_id=_object_id(values, pk),
            action=Action.delete,
            values=values,
            before=_row(values),
            after=None,
        )
    recorder.write()


def _statement_table(state: ORMExecuteState) -> sa.Table | None:
    table = getattr(state.statement, "table", None)
    return table if isinstance(table, sa.Table) else None


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> Any:
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = _statement_table(state)
    if table is None or table.name in NOISE_TABLES:
        return None
    session = state.session
    recorder = _Recorder(session)
    if state.is_insert:
        result = state.invoke_statement()
        params = state.parameters
        rows = len(params) if isinstance(params, list) else (1 if params else result.rowcount or 0)
        editions = {p.get("edition_id") for p in params} if isinstance(params, list) else set()
        recorder.add(
            table=table.name,
            object_id="*",
            action=Action.insert,
            values={"edition_id": editions.pop()} if len(editions) == 1 else {},
            before=None,
            after={"rows": rows},
        )
        recorder.write()
        return result
    pk = [c.name for c in table.primary_key.columns]
    where = state.statement.whereclause  # type: ignore[attr-defined]
    query = sa.select(table) if where is None else sa.select(table).where(where)
    conn = session.connection()
    old_rows = [dict(r) for r in conn.execute(query).mappings()]
    result = state.invoke_statement()
    if not old_rows:
        return result
    if state.is_delete:
        for old in old_rows:
            recorder.add(
                table=table.name,
                object_id=_object_id(old, pk),
                action=Action.delete,
                values=old,
                before=_row(old),
                after=None,
            )
    else:
        keys = [tuple(old[k] for k in pk) for old in old_rows]
        match = (
            table.c[pk[0]].in_([k[0] for k in keys])
            if len(pk) == 1
            else sa.tuple_(*(table.c[k] for k in pk)).in_(keys)
        )
        again = sa.select(table).where(match)
        new_rows = {tuple(r[k] for k in pk): dict(r) for r in conn.execute(again).mappings()}
        for key, old in zip(keys, old_rows, strict=True):
            new = new_rows.get(key)
            if new is not None:
                recorder.add_change(
                    table=table.name, object_id=_object_id(old, pk), old=old, new=new
                )
    recorder.write()
    return result
