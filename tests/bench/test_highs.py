"""The HiGHS MIP baseline on instances small enough to solve by hand."""

from __future__ import annotations

import pytest

from bench.highs import solve_highs
from bench.metrics import breaks_by_party
from solver.models import (
    Block,
    Day,
    Instance,
    MeetingRequest,
    Options,
    Party,
    Room,
    Status,
    TimeGrid,
)


def _grid(*sizes: int) -> TimeGrid:
    return TimeGrid(
        days=[Day(id="d", blocks=[Block(id=f"b{k}", slots=s) for k, s in enumerate(sizes)])]
    )


def triangle(**opts: object) -> Instance:
    """A, B and C meet pairwise (mandatory), 1 room, 4 slots. Whatever the order, the party shared
    by the first and the last meeting is not in the middle one: the optimum is exactly 1 break."""
    return Instance(
        name="triangle",
        grid=_grid(4),
        rooms=[Room(id="r")],
        parties=[Party(id=p) for p in "ABC"],
        requests=[
            MeetingRequest(id=f"{a}{b}", parties=[a, b], mandatory=True)
            for a, b in ("AB", "AC", "BC")
        ],
        options=Options(stages=["weight", "breaks"], fairness=False, time_limit_s=10, **opts),
    )


def test_triangle_one_break() -> None:
    sol = solve_highs(triangle())
    assert sol.status == Status.OPTIMAL and sol.solver == "highs"
    assert len(sol.assignments) == 3 and sol.breaks == 1
    assert sol.stages[-1].name == "breaks" and sol.stages[-1].objective == 1
    slots = sorted(a.slot for a in sol.assignments)
    assert len(set(slots)) == 3  # one room


def test_triangle_two_rooms_still_one_break_at_best() -> None:
    inst = triangle()
    inst = inst.model_copy(update={"rooms": [Room(id="r1"), Room(id="r2")]})
    assert solve_highs(inst).breaks == 1  # pairwise meetings cannot share a slot


def test_weight_stage_picks_the_heavier_request() -> None:
    inst = Instance(
        name="w",
        grid=_grid(1),
        rooms=[Room(id="r")],
        parties=[Party(id=p) for p in "ABC"],
        requests=[
            MeetingRequest(id="light", parties=["A", "B"], weight=3),
            MeetingRequest(id="heavy", parties=["A", "C"], weight=5),
        ],
        options=Options(fairness=False, time_limit_s=10),
    )
    sol = solve_highs(inst)
    assert sol.status == Status.OPTIMAL and sol.scheduled_weight == 5
    assert [a.request for a in sol.assignments] == ["heavy"]
    assert [u.request for u in sol.unscheduled] == ["light"]


def test_capacity_classes_and_block_boundary() -> None:
    """Two meetings of 10 people, one big room: they cannot share a slot. The morning block
    ends at slot 1 and the afternoon starts at 2; B meets at 1 and 2 (across the boundary)."""
    inst = Instance(
        name="cap",
        grid=_grid(2, 2),
        rooms=[Room(id="big", capacity=12), Room(id="small", capacity=4)],
        parties=[Party(id=p, unavailable=u) for p, u in (("A", [1, 2, 3]), ("B", []), ("C", []))],
        requests=[
            MeetingRequest(id="AB", parties=["A", "B"], mandatory=True, attendees=10),
            MeetingRequest(id="BC", parties=["B", "C"], mandatory=True, attendees=10),
        ],
        options=Options(stages=["weight", "breaks"], fairness=False, time_limit_s=10),
    )
    sol = solve_highs(inst)
    assert sol.status == Status.OPTIMAL
    assert {a.request: (a.slot, a.room) for a in sol.assignments} == {
        "AB": (0, "big"),
        "BC": (1, "big"),
    }
    assert sol.breaks == 0


@pytest.mark.parametrize("span, expected", [(True, 1), (False, 0)])
def test_breaks_span_blocks(span: bool, expected: int) -> None:
    """A has meetings forced at slot 0 (morning) and slot 3 (afternoon): an idle run across the
    boundary is a break only when breaks_span_blocks is set."""
    inst = Instance(
        name="span",
        grid=_grid(2, 2),
        rooms=[Room(id="r")],
        parties=[
            Party(id="A"),
            Party(id="B", unavailable=[1, 2, 3]),
            Party(id="C", unavailable=[0, 1, 2]),
        ],
        requests=[
            MeetingRequest(id="AB", parties=["A", "B"], mandatory=True),
            MeetingRequest(id="AC", parties=["A", "C"], mandatory=True),
        ],
        options=Options(
            stages=["weight", "breaks"], fairness=False, breaks_span_blocks=span, time_limit_s=10
        ),
    )
    sol = solve_highs(inst)
    assert sol.breaks == expected == breaks_by_party(inst, sol.assignments)["A"]
    assert sol.stages[-1].objective == expected


def test_fairness_limit_is_hard() -> None:
    """Star: A meets B, C, D; only slots 0, 2 and 4 are possible for A (1 and 3 are taken by its
    own unavailability) -> A has 2 breaks; with break_fairness=1 it is infeasible, with 2 fine."""

    def star(d: int) -> Instance:
        return Instance(
            name="star",
            grid=_grid(5),
            rooms=[Room(id="r")],
            parties=[Party(id="A", unavailable=[1, 3])] + [Party(id=p) for p in "BCD"],
            requests=[MeetingRequest(id=f"A{p}", parties=["A", p], mandatory=True) for p in "BCD"],
            options=Options(
                stages=["weight", "breaks"], fairness=False, break_fairness=d, time_limit_s=10
            ),
        )

    assert solve_highs(star(2)).breaks == 2
    assert solve_highs(star(1)).status == Status.INFEASIBLE
