"""limit/offset pagination shared by every list route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Pagination:
    limit: int
    offset: int


FIRST_PAGE = Pagination(limit=100, offset=0)  # what a request without limit / offset gets


def _pagination(
    limit: Annotated[int, Query(ge=1, le=500, description="Page size (at most 500)")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Pagination:
    return Pagination(limit=limit, offset=offset)


PaginationDep = Annotated[Pagination, Depends(_pagination)]
