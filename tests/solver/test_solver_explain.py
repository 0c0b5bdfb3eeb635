"""One instance per reason code, built to produce it."""

from __future__ import annotations

from solver_kit import grid, make, req

from solver import Pin, Room, greedy, solve


def reason(inst, rid: str, solver=solve):
    sol = solver(inst)
    return next((u.code, u.reason) for u in sol.unscheduled if u.request == rid)


def test_no_room():
    inst = make([req("big", "A", "B", attendees=14)], rooms=[Room(id="R", capacity=10)])
    assert reason(inst, "big") == ("no_room", "no room holds 14 people (the largest holds 10)")


def test_no_room_for_reserved_rooms():
    inst = make([req("r", "A", "B")], rooms=[Room(id="R", reserved_for="X")], unavailable={"X": []})
    assert reason(inst, "r")[0] == "no_room"


def test_no_common_slot():
    inst = make([req("r", "AMA", "MTC")], slots=[2], unavailable={"AMA": [0], "MTC": [1]})
    assert reason(inst, "r") == (
        "no_common_slot",
        "AMA and MTC share no free time slot in its allowed windows",
    )


def test_window_closed():
    inst = make([req("r", "A", "B", duration=3, allowed_blocks=["d1b1"])], slots=grid([4, 2]))
    code, text = reason(inst, "r")
    assert code == "window_closed" and "3-slot" in text
    inst = make(
        [req("r", "A", "B", allowed_slots=[1], allowed_blocks=["d1b1"])], slots=grid([2, 2])
    )
    assert reason(inst, "r")[0] == "window_closed"


def test_pin_conflict():
    inst = make([req("r", "A", "B", pin=Pin(slot=1))], slots=[2], unavailable={"B": [1]})
    assert reason(inst, "r") == ("pin_conflict", "pinned to slot 1, when B is unavailable")
    inst = make(
        [req("r", "A", "B", attendees=9, pin=Pin(slot=0, room="small"))],
        rooms=[Room(id="small", capacity=2), Room(id="big")],
    )
    assert reason(inst, "r")[0] == "pin_conflict"


def test_party_capacity():
    reqs = [
        req("heavy1", "MINSA", "D1", weight=5),
        req("heavy2", "MINSA", "D2", weight=4),
        req("light", "MINSA", "D3", weight=1),
    ]
    inst = make(reqs, slots=[2], rooms=3)
    assert reason(inst, "light") == (
        "party_capacity",
        "MINSA has 2 free slots and 2 requests of higher or equal weight, which take every "
        "start time this request could use",
    )


def test_room_capacity():
    reqs = [req("heavy", "A", "B", weight=5), req("light", "C", "D", weight=1)]
    code, text = reason(make(reqs, slots=[1], rooms=1), "light")
    assert code == "room_capacity" and "rooms are taken" in text


def test_precedence():
    # "after" may only start once "first" has ended; "first" is pinned to the last slot
    reqs = [
        req("first", "A", "B", mandatory=True, pin=Pin(slot=1)),
        req("then", "C", "D", after=["first"]),
    ]
    code, text = reason(make(reqs, slots=[2], rooms=2), "then")
    assert code == "precedence" and "first" in text


def test_optimisation_fallback():
    # one heavy two-slot meeting loses against two lighter ones of higher total weight
    reqs = [
        req("long", "A", "B", weight=3, duration=2),
        req("ac", "A", "C", weight=2),
        req("bd", "B", "D", weight=2),
    ]
    code, text = reason(make(reqs, slots=[2], rooms=2), "long")
    assert code == "optimisation" and text == "dropped to schedule requests of higher total weight"


def test_greedy_explains_too():
    reqs = [req("heavy", "A", "B", weight=5), req("light", "A", "C", weight=1)]
    assert reason(make(reqs, slots=[1], rooms=2), "light", greedy)[0] == "party_capacity"
