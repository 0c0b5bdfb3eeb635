"""Column types shared by every package."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BaseModel
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from app.core import clock

# The largest value of a PostgreSQL `integer` column: ids and numbers in paths, queries and
# bodies stay within it, so an out-of-range id is a 422 instead of a database overflow.
INT32_MAX = 2_147_483_647

DbId = Annotated[int, Ge(1), Le(INT32_MAX)]
"""A row id (or a 1-based number stored in an integer column) as accepted from a client."""


def refuse_nulls(model: BaseModel, *fields: str) -> None:
    """PATCH bodies: a field sent as `null` whose column has no empty value is invalid
    (raises ValueError, so the body answers 422)."""
    nulls = [
        name for name in fields if name in model.model_fields_set and getattr(model, name) is None
    ]
    if nulls:
        raise ValueError(f"{', '.join(nulls)} cannot be null; leave the field out to keep it")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored in UTC; SQLite (which drops the offset) reads back UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Default for created_at columns (the service clock)."""
    return clock.now()
