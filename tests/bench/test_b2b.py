"""The .dzn parser, the adapter to a solver Instance and the 1-based solution files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.b2b import (
    KNOWN_OPTIMA,
    MAXSAT_SECONDS,
    SUFFIX,
    B2BInstance,
    check_b2b,
    instance_name,
    list_instances,
    parse_b2b,
    parse_b2b_text,
    parse_dzn_text,
    read_solution_file,
    slots_from_solution,
    to_instance,
    write_solution_file,
)
from solver.models import Assignment, Instance, Solution, Status

# A hand-written file in the benchmark's format (not benchmark data): 4 participants, 4 meetings,
# 2 tables, 3 morning + 2 afternoon slots, with the optional fields set.
TINY = """
% comment line
nBusiness = 4; nMeetings = 4; nTables = 2; nTotalSlots = 5; nMorningSlots = 3;
requested = [| 1, 2, 3
             | 1, 3, 1
             | 2, 4, 2
             | 3, 4, 3 |];
meetingsxBusiness = [{1,2,3}, {1,2,4}, {1,3,5}, {1,4,5}];
nMeetingsBusiness = [2, 2, 2, 2];
forbidden = [{0}, {0, 5}, {0}, {0,1..2}];
fixed = [0, 0, 0, 4];
precedences = [{}, {1}, {}, {}];
"""


def tiny() -> B2BInstance:
    return parse_b2b_text(TINY, "tiny")


def test_dzn_values() -> None:
    data = parse_dzn_text("a = 3; b = [1, 2,3]; c = [{}, {1..3, 7}]; d = [| 1, 2 | 3, 4 |];")
    assert data == {"a": 3, "b": [1, 2, 3], "c": [[], [1, 2, 3, 7]], "d": [[1, 2], [3, 4]]}


def test_tiny_fields_one_based_and_sentinels_removed() -> None:
    b = tiny()
    assert b.problems() == []
    assert (b.n_business, b.n_meetings, b.n_tables, b.n_total_slots, b.n_morning_slots) == (
        4,
        4,
        2,
        5,
        3,
    )
    assert b.requested[1] == (1, 3, 1)
    assert b.meetings_x_business == [[1, 2], [1, 3], [2, 4], [3, 4]]  # ids + 1 and sentinel 1
    assert b.forbidden == [[], [5], [], [1, 2]]  # 0 padding removed, ranges expanded
    assert b.fixed == [0, 0, 0, 4]
    assert b.precedences == [[], [1], [], []]


def test_tiny_adapter() -> None:
    inst = to_instance(tiny())
    assert [b.id for b in inst.grid.days[0].blocks] == ["am", "pm"]
    assert [b.tag for b in inst.grid.days[0].blocks] == ["morning", "afternoon"]
    assert inst.grid.n_slots == 5 and len(inst.rooms) == 2
    assert all(r.capacity is None for r in inst.rooms)
    assert [p.id for p in inst.parties] == ["p1", "p2", "p3", "p4"]
    assert inst.party_by_id["p2"].unavailable == [4]  # slot 5 -> 0-based 4
    assert inst.party_by_id["p4"].unavailable == [0, 1]
    m = inst.request_by_id
    assert m["m1"].parties == ["p1", "p2"] and m["m1"].allowed_blocks is None
    assert m["m2"].allowed_blocks == ["am"] and m["m3"].allowed_blocks == ["pm"]
    assert m["m4"].pin is not None and m["m4"].pin.slot == 3
    assert m["m2"].after == ["m1"]
    assert all(r.mandatory and r.weight == 1 for r in inst.requests)
    o = inst.options
    assert o.stages == ["weight", "breaks"] and o.fairness is False
    assert (o.break_parties, o.break_fairness, o.breaks_span_blocks) == ("all", 2, True)


def test_check_b2b_by_hand() -> None:
    b = tiny()
    # m3 = (p2, p4) and m4 = (p3, p4) both at slot 4: p4 is double-booked
    bad = check_b2b(b, {1: 1, 2: 2, 3: 4, 4: 4})
    assert not bad.ok and any("two meetings" in v for v in bad.violations)
    forbidden = check_b2b(b, {1: 1, 2: 2, 3: 5, 4: 4})
    # p2 forbids slot 5 -> m3 (p2, p4) at 5 is forbidden
    assert any("forbidden" in v for v in forbidden.violations)
    unfixed = check_b2b(b, {1: 2, 2: 3, 3: 4, 4: 5})  # m4 must be at 4
    assert any("fixed" in v for v in unfixed.violations)
    early = check_b2b(b, {1: 2, 2: 1, 3: 4, 4: 4})  # m2 must come after m1
    assert any("after meeting 1" in v for v in early.violations)
    # m3 (p2, p4, afternoon) has no legal slot: 4 holds p4's fixed m4, p2 forbids 5
    best = check_b2b(b, {1: 1, 2: 2, 3: 5, 4: 4})
    assert best.violations == ["meeting 3: slot 5 forbidden for participant 2"]
    assert best.breaks_by_participant == [0, 1, 1, 0]  # p2: 1 and 5; p3: 2 and 4


def test_solution_file_round_trip(tmp_path: Path) -> None:
    sol = Solution(
        instance="tiny",
        status=Status.FEASIBLE,
        assignments=[
            Assignment(request="m1", slot=0, room="t1"),
            Assignment(request="m10", slot=4, room="t2"),
        ],
        breaks=3,
        seconds=1.23456,
    )
    assert slots_from_solution(sol) == {1: 1, 10: 5}
    path = write_solution_file(tmp_path / "out", "tiny", sol)
    assert path.name == "tiny.json"
    rec = read_solution_file(path)
    assert rec["instance"] == "tiny" and rec["status"] == "FEASIBLE" and rec["breaks"] == 3
    assert rec["seconds"] == 1.235
    assert rec["assignments"] == [{"meeting": 1, "slot": 1}, {"meeting": 10, "slot": 5}]
    assert rec["slot_of"] == {1: 1, 10: 5}


def _header(path: Path) -> dict[str, int]:
    text = path.read_text()
    return {
        k: int(re.search(rf"{k}\s*=\s*(\d+)", text).group(1))  # type: ignore[union-attr]
        for k in ("nBusiness", "nMeetings", "nTables", "nTotalSlots", "nMorningSlots")
    }


def test_all_files_parse_and_match_their_header(b2b_dir: Path) -> None:
    files = list_instances(b2b_dir)
    assert len(files) == 20
    assert {instance_name(f) for f in files} == set(KNOWN_OPTIMA) == set(MAXSAT_SECONDS)
    for f in files:
        b = parse_b2b(f)
        h = _header(f)
        assert b.problems() == [], f.name
        assert (b.n_business, b.n_meetings, b.n_tables) == (
            h["nBusiness"],
            h["nMeetings"],
            h["nTables"],
        )
        assert (b.n_total_slots, b.n_morning_slots) == (h["nTotalSlots"], h["nMorningSlots"])
        assert len(b.requested) == b.n_meetings
        assert len(b.meetings_x_business) == len(b.forbidden) == b.n_business
        assert sum(b.n_meetings_business) == 2 * b.n_meetings
        assert len(b.fixed) == len(b.precedences) == b.n_meetings


def test_adapter_gives_valid_instances(b2b_dir: Path) -> None:
    for f in list_instances(b2b_dir):
        b = parse_b2b(f)
        inst = to_instance(b)
        again = Instance.model_validate_json(inst.model_dump_json())  # the contract's validators
        assert again.grid.n_slots == b.n_total_slots
        assert len(again.requests) == b.n_meetings and len(again.parties) == b.n_business
        assert len(again.rooms) == b.n_tables
        forb = sum(len(s) for s in b.forbidden)
        assert sum(len(p.unavailable) for p in again.parties) == forb


def test_tic12_specifics(tic12: Path) -> None:
    b = parse_b2b(tic12)
    assert b.name == "tic-12" and (b.n_business, b.n_meetings, b.n_tables) == (42, 125, 21)
    assert b.meetings_x_business[0] == [1, 2, 3, 4, 5, 12, 47, 66]
    assert b.n_meetings_business[36] == 0 and b.meetings_x_business[36] == []
    inst = to_instance(b)
    assert [blk.id for blk in inst.grid.days[0].blocks] == ["am"]  # 8 morning slots, no pm


def test_only_filter(b2b_dir: Path) -> None:
    names = [instance_name(f) for f in list_instances(b2b_dir, ["tic-12", "forum-14"])]
    assert names == ["forum-14", "tic-12"]
    with pytest.raises(FileNotFoundError):
        list_instances(b2b_dir, ["nope"])
    assert SUFFIX == ".original.dzn"
