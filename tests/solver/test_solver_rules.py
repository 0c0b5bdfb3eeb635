"""One tiny feasible / infeasible pair per hard rule (all requests mandatory)."""

from __future__ import annotations

import pytest
from solver_kit import codes, grid, make, req, where

from solver import Pin, Room, Status, solve, validate
from solver.prep import prepare


def check(inst, expected: Status):
    sol = solve(inst)
    assert sol.status == expected, (sol.status, sol.unscheduled)
    report = validate(inst, sol)
    assert report.ok, report.violations
    return sol


def test_no_party_overlap():
    two = [req("a", "A", "B", mandatory=True), req("b", "A", "C", mandatory=True)]
    sol = check(make(two, slots=[1], rooms=2), Status.INFEASIBLE)
    assert sorted(sol.conflicts) == ["a", "b"]
    sol = check(make(two, slots=[2], rooms=2), Status.OPTIMAL)
    assert {where(sol)["a"][0], where(sol)["b"][0]} == {0, 1}
    # A meets B (free only in slot 0) and C, C also meets D (free only in slot 1): placing
    # all three puts A or C in two meetings at once, yet every party has a free slot per
    # meeting, so no count of a party's slots rules it out. Only the rule leaves one out
    # (and makes the three mandatory ones infeasible).
    chain = [req("a", "A", "B"), req("b", "A", "C"), req("c", "C", "D")]
    busy = {"B": [1], "D": [0]}
    sol = check(make(chain, slots=[2], rooms=3, unavailable=busy), Status.OPTIMAL)
    assert len(sol.assignments) == 2
    mandatory = [req(r.id, *r.parties, mandatory=True) for r in chain]
    check(make(mandatory, slots=[2], rooms=3, unavailable=busy), Status.INFEASIBLE)


def test_no_room_overlap_pooled_and_full():
    two = [req("a", "A", "B", mandatory=True), req("b", "C", "D", mandatory=True)]
    check(make(two, slots=[1], rooms=1), Status.INFEASIBLE)
    sol = check(make(two, slots=[1], rooms=2), Status.OPTIMAL)
    assert {where(sol)["a"][1], where(sol)["b"][1]} == {"R0", "R1"}
    # rooms that differ (capacities) use the full room model
    mixed = [Room(id="big", capacity=10), Room(id="small", capacity=2)]
    two = [req("a", "A", "B", mandatory=True, attendees=8), req("b", "C", "D", mandatory=True)]
    sol = check(make(two, slots=[1], rooms=mixed), Status.OPTIMAL)
    assert where(sol) == {"a": (0, "big"), "b": (0, "small")}
    three = [*two, req("c", "E", "F", mandatory=True)]
    check(make(three, slots=[1], rooms=mixed), Status.INFEASIBLE)


def test_room_capacity():
    big = [req("a", "A", "B", mandatory=True, attendees=14)]
    sol = check(make(big, rooms=[Room(id="R", capacity=10)]), Status.INFEASIBLE)
    assert sol.conflicts == ["a"] and codes(sol) == {"a": "no_room"}
    check(make(big, rooms=[Room(id="R", capacity=14)]), Status.OPTIMAL)


def test_room_reservation():
    rooms = [Room(id="R", reserved_for="X")]
    check(
        make([req("a", "A", "B", mandatory=True)], rooms=rooms, unavailable={"X": []}),
        Status.INFEASIBLE,
    )
    check(make([req("a", "A", "X", mandatory=True)], rooms=rooms), Status.OPTIMAL)


def test_availability():
    one = [req("a", "A", "B", mandatory=True)]
    check(make(one, slots=[2], unavailable={"A": [0], "B": [1]}), Status.INFEASIBLE)
    sol = check(make(one, slots=[2], unavailable={"A": [0]}), Status.OPTIMAL)
    assert where(sol)["a"][0] == 1


def test_allowed_windows():
    g = grid([2, 2])
    check(
        make(
            [req("a", "A", "B", mandatory=True, allowed_blocks=["d1b1"])],
            slots=g,
            unavailable={"A": [2, 3]},
        ),
        Status.INFEASIBLE,
    )
    sol = check(
        make([req("a", "A", "B", mandatory=True, allowed_blocks=["d1b1"])], slots=g), Status.OPTIMAL
    )
    assert where(sol)["a"][0] in (2, 3)
    sol = check(
        make([req("a", "A", "B", mandatory=True, allowed_slots=[3])], slots=g), Status.OPTIMAL
    )
    assert where(sol)["a"][0] == 3
    check(
        make(
            [req("a", "A", "B", mandatory=True, allowed_slots=[3], allowed_blocks=["d1b0"])],
            slots=g,
        ),
        Status.INFEASIBLE,
    )


def test_pins():
    sol = check(
        make([req("a", "A", "B", mandatory=True, pin=Pin(slot=2, room="R1"))], slots=[3], rooms=2),
        Status.OPTIMAL,
    )
    assert where(sol)["a"] == (2, "R1")
    two = [
        req("a", "A", "B", mandatory=True, pin=Pin(slot=0)),
        req("b", "A", "C", mandatory=True, pin=Pin(slot=0)),
    ]
    check(make(two, slots=[2], rooms=2), Status.INFEASIBLE)
    sol = check(
        make(
            [req("a", "A", "B", mandatory=True, pin=Pin(slot=1))], slots=[2], unavailable={"A": [1]}
        ),
        Status.INFEASIBLE,
    )
    assert codes(sol) == {"a": "pin_conflict"}


def test_precedences():
    # b must end before a starts; both share no party, so only the order binds
    pair = [req("a", "A", "B", mandatory=True, after=["b"]), req("b", "C", "D", mandatory=True)]
    sol = check(make(pair, slots=[2], rooms=1), Status.OPTIMAL)
    assert where(sol)["b"][0] == 0 and where(sol)["a"][0] == 1
    check(make(pair, slots=[1], rooms=2), Status.INFEASIBLE)
    cycle = [
        req("a", "A", "B", mandatory=True, after=["b"]),
        req("b", "C", "D", mandatory=True, after=["a"]),
    ]
    sol = check(make(cycle, slots=[3], rooms=2), Status.INFEASIBLE)
    assert sorted(sol.conflicts) == ["a", "b"]


def test_precedence_only_binds_when_both_are_scheduled():
    # b can never be scheduled (no room holds it); a is still scheduled, at slot 0
    pair = [req("a", "A", "B", after=["b"], allowed_slots=[0]), req("b", "C", "D", attendees=50)]
    sol = check(make(pair, slots=[2], rooms=[Room(id="R", capacity=5)]), Status.OPTIMAL)
    assert where(sol) == {"a": (0, "R")}


def test_contiguity():
    long = [req("a", "A", "B", mandatory=True, duration=2)]
    check(make(long, slots=grid([1, 1])), Status.INFEASIBLE)
    sol = check(make(long, slots=grid([1, 2])), Status.OPTIMAL)
    assert where(sol)["a"][0] == 1
    two = [req("a", "A", "B", mandatory=True, duration=2), req("b", "A", "C", mandatory=True)]
    check(make(two, slots=[2], rooms=2), Status.INFEASIBLE)
    check(make(two, slots=[3], rooms=2), Status.OPTIMAL)


def test_sector_keeps_room():
    pinned = [
        req("a", "D1", "S", mandatory=True, pin=Pin(slot=0, room="R0")),
        req("b", "D2", "S", mandatory=True, pin=Pin(slot=1, room="R1")),
    ]
    check(make(pinned, slots=[2], rooms=2), Status.OPTIMAL)
    check(make(pinned, slots=[2], rooms=2, sector_keeps_room=True), Status.INFEASIBLE)
    free = [req(f"r{i}", f"D{i}", "S", mandatory=True) for i in range(3)] + [
        req(f"t{i}", f"D{i}", "T", mandatory=True) for i in range(3)
    ]
    sol = check(make(free, slots=[3], rooms=2, sector_keeps_room=True), Status.OPTIMAL)
    rooms = where(sol)
    assert len({rooms[f"r{i}"][1] for i in range(3)}) == 1
    assert len({rooms[f"t{i}"][1] for i in range(3)}) == 1


def test_home_rooms():
    # two sectors, three delegations each, and one meeting of both sectors: each sector
    # keeps one room, the shared meeting is held in one of the two homes
    reqs = [req(f"s{i}", f"D{i}", "SA", mandatory=True) for i in range(3)]
    reqs += [req(f"t{i}", f"D{i}", "SB", mandatory=True) for i in range(3)]
    reqs += [req("both", "D3", "SA", "SB", mandatory=True)]
    sol = check(make(reqs, slots=[4], rooms=3, home_rooms=True), Status.OPTIMAL)
    rooms = where(sol)
    home_s = {rooms[f"s{i}"][1] for i in range(3)}
    home_t = {rooms[f"t{i}"][1] for i in range(3)}
    assert len(home_s) == 1 and len(home_t) == 1
    assert rooms["both"][1] in home_s | home_t
    # a given home room: SA meets only in R2
    given = make(reqs, slots=[4], rooms=3, home_rooms=True)
    given = given.model_copy(
        update={
            "parties": [
                p.model_copy(update={"home_room": "R2"}) if p.id == "SA" else p
                for p in given.parties
            ]
        }
    )
    sol = check(given, Status.OPTIMAL)
    assert {where(sol)[f"s{i}"][1] for i in range(3)} == {"R2"}
    # pinned to two rooms: no single home for SA
    pinned = [
        req("a", "D1", "SA", mandatory=True, pin=Pin(slot=0, room="R0")),
        req("b", "D2", "SA", mandatory=True, pin=Pin(slot=1, room="R1")),
    ]
    check(make(pinned, slots=[2], rooms=2, home_rooms=True), Status.INFEASIBLE)
    # but a meeting of SA and SB may be in SB's home
    shared = [pinned[0], req("b", "D2", "SA", "SB", mandatory=True, pin=Pin(slot=1, room="R1"))]
    check(make(shared, slots=[2], rooms=2, home_rooms=True), Status.OPTIMAL)


def test_home_room_reason():
    # SA and SB are both given R0; a (SA, mandatory) takes it, so b (SB) has a free room (R1)
    # at its only slot, but not its home
    reqs = [req("a", "D1", "SA", mandatory=True), req("b", "D2", "SB")]
    inst = make(reqs, slots=[1], rooms=2, home_rooms=True)
    inst = inst.model_copy(
        update={
            "parties": [
                p.model_copy(update={"home_room": "R0"}) if p.kind == "sector" else p
                for p in inst.parties
            ]
        }
    )
    sol = check(inst, Status.OPTIMAL)
    assert codes(sol) == {"b": "home_room"}


def test_mandatory_beats_weight():
    pair = [req("heavy", "A", "B", weight=100), req("light", "A", "C", weight=1, mandatory=True)]
    sol = check(make(pair, slots=[1]), Status.OPTIMAL)
    assert list(where(sol)) == ["light"]
    assert sol.scheduled_weight == 1
    sol = check(
        make([req("heavy", "A", "B", weight=100), req("light", "A", "C", weight=1)], slots=[1]),
        Status.OPTIMAL,
    )
    assert list(where(sol)) == ["heavy"]


@pytest.mark.parametrize("rooms", [1, [Room(id="x", capacity=3), Room(id="y")]])
def test_conflicts_are_small(rooms):
    reqs = [req(f"a{i}", "A", f"B{i}", mandatory=True) for i in range(3)] + [
        req("z", "Y", "Z", mandatory=True)
    ]
    sol = solve(make(reqs, slots=[2], rooms=2 if rooms == 1 else rooms))
    assert sol.status == Status.INFEASIBLE
    assert sorted(sol.conflicts) == ["a0", "a1", "a2"]
    assert codes(sol)["a0"] == "mandatory_conflict" and codes(sol)["z"] == "infeasible"


def test_room_modes():
    from solver.prep import prepare

    cap = [Room(id="big", capacity=10), Room(id="mid", capacity=6), Room(id="small", capacity=2)]
    one_slot = [
        req("a", "A", "B", attendees=8, mandatory=True),
        req("b", "C", "D", attendees=5, mandatory=True),
        req("c", "E", "F", mandatory=True),
    ]
    inst = make(one_slot, rooms=cap)
    assert prepare(inst).pooled  # nested capacity classes: Hall constraints, no room vars
    sol = check(inst, Status.OPTIMAL)
    assert where(sol) == {"a": (0, "big"), "b": (0, "mid"), "c": (0, "small")}
    # two meetings need the big room at once: Hall's condition fails
    two_big = [*one_slot[:1], req("b", "C", "D", attendees=9, mandatory=True), one_slot[2]]
    check(make(two_big, rooms=cap), Status.INFEASIBLE)
    # a room reserved for X: sets {R1} < {R0, R1}... nested, still pooled
    reserved = [Room(id="R0", reserved_for="X"), Room(id="R1")]
    inst = make(
        [req("a", "A", "B", mandatory=True), req("x", "X", "C", mandatory=True)], rooms=reserved
    )
    assert prepare(inst).pooled
    assert where(check(inst, Status.OPTIMAL)) == {"a": (0, "R1"), "x": (0, "R0")}
    # long meetings with mixed rooms and pinned rooms use explicit room variables
    long = [req("a", "A", "B", duration=2, attendees=8), req("b", "C", "D")]
    assert not prepare(make(long, slots=[2], rooms=cap)).pooled
    pinned = [
        req("a", "A", "B", pin=Pin(slot=0, room="R0")),
        req("b", "C", "D", pin=Pin(slot=0, room="R1")),
    ]
    assert not prepare(make(pinned, rooms=2)).pooled


def test_home_rooms_of_their_own_keep_rooms_pooled():
    # three sectors, three rooms: each sector gets a room of its own, the rooms follow from
    # it (pooled, no room variable), and the multisector meeting is in one of its homes
    reqs = [
        req(f"{s}{i}", f"D{i}", s, mandatory=True) for s in ("SA", "SB", "SC") for i in range(3)
    ]
    reqs.append(req("both", "D3", "SA", "SB", mandatory=True))
    inst = make(reqs, slots=[4], rooms=3, home_rooms=True)
    prep = prepare(inst)
    assert prep.pooled and sorted(prep.homes.values()) == [0, 1, 2]
    sol = check(inst, Status.OPTIMAL)
    rooms = where(sol)
    homes = {s: {rooms[f"{s}{i}"][1] for i in range(3)} for s in ("SA", "SB", "SC")}
    assert all(len(h) == 1 for h in homes.values()) and len(set.union(*homes.values())) == 3
    assert rooms["both"][1] in homes["SA"] | homes["SB"]
    # two rooms for three sectors: the least loaded sector (SC) shares a room, written as a
    # virtual party; rooms stay pooled. Six slots hold the shared room's six meetings only
    # if the meeting of SA and SB is in the home nobody shares
    inst = make(reqs, slots=[6], rooms=2, home_rooms=True)
    prep = prepare(inst)
    assert prep.pooled and len(prep.virtual) == 1 and len(set(prep.homes.values())) == 2
    assert prep.homes["SC"] in {prep.homes["SA"], prep.homes["SB"]}
    sol = check(inst, Status.OPTIMAL)
    rooms = where(sol)
    assert len(rooms) == len(reqs)
    homes = {s: {rooms[f"{s}{i}"][1] for i in range(3)} for s in ("SA", "SB", "SC")}
    assert all(len(h) == 1 for h in homes.values())
    shared = homes["SC"]
    assert rooms["both"][1] not in shared
    assert len({slot for slot, room in rooms.values() if room in shared}) == 6
    assert sol.breaks == validate(inst, sol).breaks_total  # no break of the virtual party
