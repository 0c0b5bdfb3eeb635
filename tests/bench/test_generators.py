"""Generators: deterministic per seed and of the promised sizes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.generators import PRIORITY_SECTORS, REGIONS, gore, muni, seventh_edition
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
