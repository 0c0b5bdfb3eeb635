"""Who is calling, as the services see it, and the tenant scoping every package applies.

A delegation key acts for its own delegation, a sector key for its own sector, the SD for
every one; a rapporteur for no party (the commitments package scopes rapporteurs by their
assigned meetings). Anything outside the caller's tenant answers like something missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.access.models import Role


@dataclass(frozen=True)
class Principal:
    key_id: int
    role: Role
    name: str
    delegation_id: int | None = None
    sector_id: int | None = None
    delegation_code: str | None = None
    sector_code: str | None = None

    @property
    def is_sd(self) -> bool:
        return self.role == Role.sd_admin

    @property
    def is_delegation(self) -> bool:
        return self.role == Role.delegation

    @property
    def is_sector(self) -> bool:
        return self.role == Role.sector

    @property
    def is_rapporteur(self) -> bool:
        return self.role == Role.rapporteur

    def acts_for(self, *, delegation_id: int | None = None, sector_id: int | None = None) -> bool:
        """Whether the caller may act for this delegation or this sector: the SD for any,
        a delegation or sector key for its own."""
        if self.is_sd:
            return True
        if self.is_delegation:
            return delegation_id is not None and delegation_id == self.delegation_id
        if self.is_sector:
            return sector_id is not None and sector_id == self.sector_id
        return False

    def scope(
        self, *, delegation: Any = None, sector: Any = None, unbound: bool = False
    ) -> sa.ColumnElement[bool]:
        """A WHERE clause keeping the rows of the caller's tenant: every row for the SD, the
        rows whose `delegation` (`sector`) column is the key's own for a delegation (sector)
        key, none when the query has no such column. Rapporteurs, bound to no party, get
        every row with `unbound`, none without."""
        if self.is_sd or (self.is_rapporteur and unbound):
            return sa.true()
        if self.is_delegation and delegation is not None:
            return delegation == self.delegation_id
        if self.is_sector and sector is not None:
            return sector == self.sector_id
        return sa.false()
