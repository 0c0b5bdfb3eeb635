"""The tenant scoping every package applies: who acts for which delegation or sector."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.access.models import Role
from app.access.principal import Principal

pytestmark = pytest.mark.nodb

SD = Principal(key_id=1, role=Role.sd_admin, name="SD")
CUS = Principal(key_id=2, role=Role.delegation, name="Cusco", delegation_id=7)
MINSA = Principal(key_id=3, role=Role.sector, name="Minsa", sector_id=4)
REL = Principal(key_id=4, role=Role.rapporteur, name="Relator")

ROWS = sa.table("t", sa.column("delegation_id"), sa.column("sector_id"))


def test_acts_for_own_party_only():
    assert SD.acts_for(delegation_id=7) and SD.acts_for(sector_id=99)
    assert CUS.acts_for(delegation_id=7) and not CUS.acts_for(delegation_id=8)
    assert not CUS.acts_for(sector_id=7)  # a delegation id is not a sector id
    assert MINSA.acts_for(sector_id=4) and not MINSA.acts_for(delegation_id=4)
    assert not REL.acts_for(delegation_id=7, sector_id=4)


def _visible(principal: Principal, **kwargs: bool) -> list[tuple[int, int]]:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE t (delegation_id INT, sector_id INT)"))
        conn.execute(sa.text("INSERT INTO t VALUES (7, 4), (7, 5), (8, 4), (8, 5)"))
        clause = principal.scope(delegation=ROWS.c.delegation_id, sector=ROWS.c.sector_id, **kwargs)
        query = (
            sa.select(ROWS.c.delegation_id, ROWS.c.sector_id)
            .where(clause)
            .order_by(ROWS.c.delegation_id, ROWS.c.sector_id)
        )
        return [tuple(r) for r in conn.execute(query)]


def test_scope_keeps_the_callers_rows():
    assert _visible(SD) == [(7, 4), (7, 5), (8, 4), (8, 5)]
    assert _visible(CUS) == [(7, 4), (7, 5)]
    assert _visible(MINSA) == [(7, 4), (8, 4)]
    assert _visible(REL) == []
    assert _visible(REL, unbound=True) == [(7, 4), (7, 5), (8, 4), (8, 5)]


def test_scope_without_the_column_keeps_nothing():
    assert str(MINSA.scope(delegation=ROWS.c.delegation_id)) == str(sa.false())
