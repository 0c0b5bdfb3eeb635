"""The validator catches every kind of violation (hand-made bad solutions)."""

from __future__ import annotations

import pytest
from solver_kit import grid, make, req

from solver import Assignment, Pin, Room, Solution, Status, validate

ROOMS = [Room(id="R0", capacity=5), Room(id="R1", reserved_for="S1"), Room(id="R2")]
REQS = [
    req("a", "D1", "S1", mandatory=True, attendees=6),
    req("b", "D2", "S1", allowed_blocks=["d1b0"]),
    req("c", "D1", "S2", allowed_slots=[2, 3], after=["a"]),
    req("d", "D2", "S2", pin=Pin(slot=3, room="R0")),
    req("f", "D3", "S3", duration=2),
]
BASE = {"a": (0, "R2"), "b": (1, "R1"), "c": (2, "R2"), "d": (3, "R0"), "f": (0, "R0")}


def instance(**options):
    return make(REQS, slots=grid([2, 2]), rooms=ROOMS, unavailable={"D2": [0]}, **options)


def solution(placed: dict, status=Status.FEASIBLE, weight=None, extra=()):
    assignments = [Assignment(request=r, slot=s, room=k) for r, (s, k) in placed.items()]
    return Solution(
        instance="t",
        status=status,
        assignments=[*assignments, *extra],
        scheduled_weight=len(placed) if weight is None else weight,
    )


def test_base_solution_is_valid_and_figures_are_recomputed():
    report = validate(instance(), solution(BASE))
    assert report.ok, report.violations
    assert report.scheduled_weight == 5
    # D1: a@0, c@2 -> 1 break; D2: b@1, d@3 -> 1; S1: 0,1; S2: 2,3; D3/S3: 0-1
    assert report.breaks_by_party == {"D1": 1, "D2": 1, "D3": 0, "S1": 0, "S2": 0, "S3": 0}
    assert report.breaks_total == 2
    assert report.min_share == 1000
    assert report.changes is None


def moved(**changes):
    return {**BASE, **changes}


CASES = [
    ("unknown request", solution(BASE, extra=[Assignment(request="zzz", slot=0, room="R2")])),
    ("more than once", solution(BASE, extra=[Assignment(request="a", slot=1, room="R2")])),
    ("mandatory request a", solution({k: v for k, v in BASE.items() if k != "a"})),
    ("outside the grid", solution(moved(f=(3, "R2")))),
    ("crosses the end of its block", solution(moved(f=(1, "R0")))),
    ("block d1b1 not allowed", solution(moved(b=(2, "R1")))),
    ("start slot 1 not allowed", solution(moved(c=(1, "R2")))),
    ("D2 unavailable at slots [0]", solution(moved(b=(0, "R1"), a=(1, "R2")))),
    ("holds 5 < 6", solution(moved(a=(0, "R0"), f=(0, "R2")))),
    ("reserved for S1", solution(moved(c=(2, "R1")))),
    ("pinned to slot 3", solution(moved(d=(2, "R0"), c=(3, "R2")))),
    ("pinned to room R0", solution(moved(d=(3, "R2")))),
    ("party S1 in a and b", solution(moved(b=(0, "R1")))),
    ("room R2 holds", solution(moved(f=(0, "R2")))),
    ("must start after a ends", solution(moved(a=(3, "R2")))),
    ("reported scheduled_weight 9", solution(BASE, weight=9)),
]


@pytest.mark.parametrize(("expected", "bad"), CASES, ids=[c[0] for c in CASES])
def test_each_violation_is_reported(expected, bad):
    report = validate(instance(), bad)
    assert not report.ok
    assert any(expected in v for v in report.violations), report.violations


def test_missing_mandatory_is_fine_in_a_solution_declared_infeasible():
    bad = solution({}, status=Status.INFEASIBLE)
    assert validate(instance(), bad).ok


def test_sector_keeps_room_and_break_fairness_violations():
    reqs = [req("x", "D1", "S", allowed_slots=[0]), req("y", "D2", "S", allowed_slots=[2])]
    inst = make(reqs, slots=[3], rooms=2, sector_keeps_room=True, break_fairness=0)
    ok = solution({"x": (0, "R0"), "y": (2, "R0")})
    report = validate(inst, ok)
    # S has one break, D1 and D2 none: fairness 0 is broken
    assert report.breaks_by_party == {"D1": 0, "D2": 0, "S": 1}
    assert [v for v in report.violations if "break fairness" in v]
    report = validate(inst, solution({"x": (0, "R0"), "y": (2, "R1")}))
    assert any("sector S uses several rooms" in v for v in report.violations)
    loose = make(reqs, slots=[3], rooms=2, sector_keeps_room=True, break_fairness=1)
    assert validate(loose, ok).ok


def test_changes_are_recomputed():
    previous = [
        Assignment(request="a", slot=0, room="R2"),
        Assignment(request="b", slot=0, room="R1"),
    ]
    report = validate(instance(previous=previous, keep_previous=False), solution(BASE))
    # a kept, b moved, c d f new
    assert report.changes == 4
    # keeping the earlier plan: only the earlier meetings count (b moved); released, none
    assert validate(instance(previous=previous), solution(BASE)).changes == 1
    assert validate(instance(previous=previous, release=["b"]), solution(BASE)).changes == 0


def test_home_room_violations():
    # S1 and S2 meet D1 and D2; m is a meeting of both sectors
    reqs = [req("a", "D1", "S1"), req("b", "D2", "S2"), req("m", "D3", "S1", "S2")]
    inst = make(reqs, slots=[3], rooms=3, home_rooms=True)
    # m in R1, the home of S2: fine; in R2, nobody's home: S1 and S2 have theirs already
    assert validate(inst, solution({"a": (0, "R0"), "b": (0, "R1"), "m": (1, "R1")})).ok
    bad = validate(inst, solution({"a": (0, "R0"), "b": (0, "R1"), "m": (1, "R2")}))
    assert any("home rooms" in v for v in bad.violations)
    # S1 in two rooms
    moved = make([*reqs, req("c", "D3", "S1")], slots=[3], rooms=3, home_rooms=True)
    report = validate(moved, solution({"a": (0, "R0"), "c": (2, "R2")}))
    assert any("sector S1 meets in R2, its home room is R0" in v for v in report.violations)
    # m alone in a room of its own: one of its sectors makes it its home
    assert validate(inst, solution({"m": (0, "R2"), "a": (1, "R2")})).ok


def test_a_copy_with_new_parties_is_validated_against_them():
    """A copied instance's lookups come from its own fields, not from the original's cache."""
    inst = make([req("r1", "D1", "S1")], slots=[2])
    assert inst.party_by_id["S1"].unavailable == []  # fills the original's cache
    away = [p.model_copy(update={"unavailable": [0]}) if p.id == "S1" else p for p in inst.parties]
    copy = inst.model_copy(update={"parties": away})
    assert copy.party_by_id["S1"].unavailable == [0]
    report = validate(copy, solution({"r1": (0, "R0")}))
    assert not report.ok
    assert inst.party_by_id["S1"].unavailable == []
