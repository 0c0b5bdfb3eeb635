"""Generators: deterministic per seed and of the promised sizes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.b2b import b2b_options, parse_b2b, to_instance
from bench.generators import (
    MUNI_SECTORS,
    PRIORITY_SECTORS,
    REGIONS,
    b2b_constrained,
    gore,
    muni,
    muni_multisector,
    seventh_edition,
)
from solver import solve, validate
from solver.models import Instance

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "gore-7th-edition.json"


def _load(inst: Instance) -> Counter[str]:
    return Counter(p for r in inst.requests for p in r.parties)


def test_gore_deterministic_and_sizes() -> None:
    a, b, c = gore(seed=1), gore(seed=1), gore(seed=2)
    assert a.model_dump() == b.model_dump()
    assert a.model_dump() != c.model_dump()
    assert len(a.requests) == 350
    assert sum(p.kind == "delegation" for p in a.parties) == 26
    assert sum(p.kind == "sector" for p in a.parties) == 19
    assert a.grid.n_slots == 24 and [blk.slots for blk in a.grid.days[0].blocks] == [12, 12]
    assert [blk.start for blk in a.grid.days[0].blocks] == ["09:00", "14:00"]
    multi = [r for r in a.requests if len(r.parties) == 3]
    assert len(multi) == round(0.05 * 350)
    assert all(a.party_by_id[r.parties[0]].kind == "delegation" for r in a.requests)
    assert len(a.rooms) == 21 and any(r.capacity is not None for r in a.rooms)
    assert sum(1 for p in a.parties if p.unavailable) >= 4  # availability windows
    assert {r.weight for r in a.requests} <= set(range(1, 11)) and len(
        {r.weight for r in a.requests}
    ) > 5
    load = _load(a)
    assert min(load[d] for d, _ in REGIONS) >= 13  # every delegation asks many sectors
    # mandatory requests alone never overload a sector or a delegation
    mand = Counter(p for r in a.requests if r.mandatory for p in r.parties)
    assert mand and max(mand.values()) <= 4


def test_muni_deterministic_and_sizes() -> None:
    a = muni(seed=3)
    assert a.model_dump() == muni(seed=3).model_dump()
    assert len(a.requests) == 2400
    assert sum(p.kind == "delegation" for p in a.parties) == 600
    sector_codes = {p.id.rsplit("-", 1)[0] for p in a.parties if p.kind == "sector"}
    assert len(sector_codes) == 20
    assert len(a.grid.days) == 2 and a.grid.n_slots == 48
    load = _load(a)
    # every sector team can in principle hold its meetings (<= 48 slots)
    assert max(load[p.id] for p in a.parties if p.kind == "sector") <= 48


def test_seventh_edition() -> None:
    a = seventh_edition()
    assert a.model_dump() == seventh_edition().model_dump()
    assert len(a.requests) == 196
    assert [p.id for p in a.parties if p.kind == "delegation"] == [c for c, _ in REGIONS]
    assert [p.id for p in a.parties if p.kind == "sector"] == [c for c, _ in PRIORITY_SECTORS]
    assert {c for c, _ in PRIORITY_SECTORS} == {
        "MINEDU", "MINSA", "MINAGRI", "MTC", "MINAM", "PRODUCE", "MINEM", "MVCS", "ARCC"
    }  # fmt: skip
    load = _load(a)
    assert all(load[d] in (7, 8) for d, _ in REGIONS)
    for s, _ in PRIORITY_SECTORS:  # every sector's meetings fit in its available slots
        assert load[s] <= a.grid.n_slots - len(a.party_by_id[s].unavailable)


def test_example_file_is_the_generator_output() -> None:
    if not EXAMPLE.exists():
        pytest.skip("docs/examples/gore-7th-edition.json not written yet")
    on_disk = Instance.model_validate_json(EXAMPLE.read_text())
    assert on_disk.model_dump() == seventh_edition().model_dump()
    json.loads(EXAMPLE.read_text())


def test_muni_multisector_shape() -> None:
    a = muni_multisector(seed=2)
    assert a.model_dump() == muni_multisector(seed=2).model_dump()
    assert a.model_dump() != muni_multisector(seed=3).model_dump()
    assert len(a.requests) == 2385 and a.grid.n_slots == 48 and len(a.grid.days) == 2
    sectors = [p for p in a.parties if p.kind == "sector"]
    delegations = [p for p in a.parties if p.kind == "delegation"]
    assert [p.id for p in sectors] == [c for c, _, _ in MUNI_SECTORS] and len(delegations) == 600
    multi = [r for r in a.requests if len(r.parties) == 3]
    assert 0.05 <= len(multi) / len(a.requests) <= 0.10
    kind = {p.id: p.kind for p in a.parties}
    for r in a.requests:  # a municipality with one sector, or two distinct sectors
        assert kind[r.parties[0]] == "delegation"
        assert all(kind[p] == "sector" for p in r.parties[1:])
        assert len(set(r.parties)) == len(r.parties)
    assert sum(bool(p.unavailable) for p in sectors) == round(0.4 * len(sectors))
    assert sum(bool(p.unavailable) for p in delegations) == round(0.15 * len(delegations))
    blocks = [set(a.grid.block_slots(blk.id)) for day in a.grid.days for blk in day.blocks]
    for p in a.parties:  # windows: part of a block, never a whole one
        away = set(p.unavailable)
        assert all(not blk <= away for blk in blocks)
    # the ministers are over-asked: the weight stage has to choose
    load = _load(a)
    assert sum(load[p.id] for p in sectors) > 2 * a.grid.n_slots * len(sectors)


def test_b2b_constrained_shape_and_feasible(tic12: Path) -> None:
    base = to_instance(parse_b2b(tic12), b2b_options(time_limit_s=20.0))
    a = b2b_constrained(base, seed=1, n_after=5, n_pins=3, n_forbidden=7)
    assert a.name == "tic-12-constrained-s1"
    assert sum(len(r.after) for r in a.requests) == 5
    assert sum(r.pin is not None for r in a.requests) == 3
    added = sum(len(p.unavailable) for p in a.parties) - sum(
        len(p.unavailable) for p in base.parties
    )
    assert added == 7
    by_id = a.request_by_id
    for r in a.requests:  # each precedence joins two meetings of one participant
        for first in r.after:
            assert set(by_id[first].parties) & set(r.parties)
    # the added rules are kept by a schedule: the product solves the instance
    sol = solve(a)
    assert len(sol.assignments) == len(a.requests)
    assert validate(a, sol).ok
