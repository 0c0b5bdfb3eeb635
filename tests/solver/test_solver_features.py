"""Every engine's schedule validates: instances drawn with every feature (solver/features.py),
in the shapes that bring the side engines in (the flow, the local search, the MaxSAT race,
the request choice, the relaxation, large neighbourhood search, the greedy start), and
re-plans of them; and each feature is recognised where an instance has it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from solver_kit import make, req

from solver import (
    Assignment,
    Block,
    Day,
    Instance,
    MeetingRequest,
    Options,
    Party,
    Pin,
    Room,
    Status,
    TimeGrid,
    greedy,
    solve,
    validate,
)
from solver.breaks import choice, local, maxsat, relax
from solver.features import Feature, features
from solver.flow import flow_schedule
from solver.model import add_breaks, build
from solver.prep import prepare
from solver.solve import stage_order


@st.composite
def featured(draw) -> Instance:
    """A small edition of delegations and sectors. Each feature is drawn on or off, so the
    shapes each side engine needs (pair meetings of one slot, identical or nested rooms,
    every request mandatory, whole free days) come up as often as the mixed ones."""
    days = draw(st.integers(1, 2))
    blocks = [draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)) for _ in range(days)]
    time_grid = TimeGrid(
        days=[
            Day(id=f"d{i}", blocks=[Block(id=f"d{i}b{j}", slots=n) for j, n in enumerate(b)])
            for i, b in enumerate(blocks)
        ]
    )
    n = time_grid.n_slots
    day_slots = [[s.index for s in time_grid.slot_info if s.day_index == d] for d in range(days)]
    on = {f: draw(st.booleans()) for f in Feature}
    delegations = [f"D{i}" for i in range(draw(st.integers(1, 4)))]
    sectors = [f"S{i}" for i in range(draw(st.integers(1, 3)))]
    names = delegations + sectors

    def unavailable(p: str) -> list[int]:
        if not on[Feature.UNAVAILABILITY] or not draw(st.booleans()):
            return []
        if draw(st.booleans()):  # a whole day, as the flow knows it
            return day_slots[draw(st.integers(0, days - 1))]
        return draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True))

    parties = [
        Party(id=p, kind="delegation" if p[0] == "D" else "sector", unavailable=unavailable(p))
        for p in names
    ]
    rooms = [Room(id=f"R{k}") for k in range(draw(st.integers(1, 3)))]
    if on[Feature.ROOM_CLASSES]:
        rooms = [Room(id=r.id, capacity=draw(st.sampled_from([None, 3, 6]))) for r in rooms]
        if len(rooms) > 1 and draw(st.booleans()):
            rooms[0] = Room(id="R0", reserved_for=delegations[0])
    block_ids = [b.id for d in time_grid.days for b in d.blocks]
    requests = []
    pairs = [(d, s) for d in delegations for s in sectors]
    for r in range(draw(st.integers(1, 8))):
        d, s = draw(st.sampled_from(pairs))
        members = [d, s]
        if on[Feature.GROUP_MEETINGS] and draw(st.booleans()):
            members += [
                q for q in draw(st.sampled_from([delegations, sectors])) if q not in members
            ][:1]
        pin = None
        if on[Feature.PINNED_SLOTS] and draw(st.integers(0, 3)) == 0:
            room = rooms[draw(st.integers(0, len(rooms) - 1))].id
            pin = Pin(
                slot=draw(st.integers(0, n - 1)), room=room if on[Feature.PINNED_ROOMS] else None
            )
        windows = on[Feature.TIME_WINDOWS] and draw(st.booleans())
        requests.append(
            MeetingRequest(
                id=f"r{r}",
                parties=members,
                weight=draw(st.integers(0, 5)),
                mandatory=not on[Feature.OPTIONAL_REQUESTS] or draw(st.integers(0, 3)) == 0,
                duration=2 if on[Feature.LONG_MEETINGS] and draw(st.booleans()) else 1,
                allowed_blocks=(
                    draw(st.lists(st.sampled_from(block_ids), min_size=1, unique=True))
                    if windows and draw(st.booleans())
                    else None
                ),
                allowed_slots=(
                    draw(st.lists(st.integers(0, n - 1), min_size=1, unique=True))
                    if windows and draw(st.booleans())
                    else None
                ),
                attendees=draw(st.sampled_from([0, 4])) if on[Feature.ROOM_CLASSES] else 0,
                pin=pin,
                after=[
                    f"r{q}"
                    for q in range(r)
                    if on[Feature.PRECEDENCE] and draw(st.integers(0, 3)) == 0
                ],
            )
        )
    options = Options(
        time_limit_s=1.0,
        workers=2,
        seed=draw(st.integers(0, 3)),
        sector_keeps_room=on[Feature.SECTOR_KEEPS_ROOM],
        home_rooms=on[Feature.HOME_ROOMS],
        break_fairness=draw(st.sampled_from([0, 1])) if on[Feature.BREAK_FAIRNESS] else None,
        breaks_span_blocks=draw(st.booleans()),
        break_parties=draw(st.sampled_from(["all", "all", "delegations", "sectors"])),
    )
    inst = Instance(
        grid=time_grid, rooms=rooms, parties=parties, requests=requests, options=options
    )
    if on[Feature.REPLAN]:
        # the greedy's plan, then one party away at one slot more
        plan = greedy(inst).assignments
        away = draw(st.sampled_from(names))
        slot = draw(st.integers(0, n - 1))
        parties = [
            p.model_copy(update={"unavailable": sorted({*p.unavailable, slot})})
            if p.id == away
            else p
            for p in parties
        ]
        options = options.model_copy(update={"previous": plan})
        inst = Instance(
            grid=time_grid, rooms=rooms, parties=parties, requests=requests, options=options
        )
    return inst


def engines(inst: Instance) -> list[str]:
    """The side engines that apply to the instance's breaks stage and first stage."""
    b = build(prepare(inst), inst.options, stage_order(inst, inst.options))
    add_breaks(b)
    out = [
        name
        for name, engine in [("local", local), ("maxsat", maxsat), ("relax", relax)]
        if engine.applies(b)
    ]
    if flow_schedule(b.prep, b.options) is not None:
        out.append("flow")
    return out


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(featured())
def test_every_engine_schedule_validates(inst: Instance) -> None:
    note(f"features: {sorted(features(prepare(inst), inst.options))}, engines: {engines(inst)}")
    sol = solve(inst)  # raises InvalidSchedule on a schedule that breaks a rule
    report = validate(inst, sol)
    assert report.ok, report.violations
    if sol.status in (Status.OPTIMAL, Status.FEASIBLE):
        assert report.scheduled_weight == sol.scheduled_weight
        assert report.breaks_total == sol.breaks


def test_choice_is_kept_out_of_a_replan():
    inst = make(
        [req("ab", "D1", "S1"), req("ac", "D1", "S2")],
        slots=[3],
        previous=[],
        stages=["weight", "breaks"],
    )
    b = build(prepare(inst), inst.options, ["weight", "breaks"])
    assert Feature.REPLAN in b.features and not b.features <= choice.SUPPORTS


ONE = [req("a", "D1", "S1", mandatory=True)]
FEATURE_EXAMPLES = {
    Feature.LONG_MEETINGS: make([req("a", "D1", "S1", mandatory=True, duration=2)], slots=[2]),
    Feature.GROUP_MEETINGS: make([req("a", "D1", "S1", "S2", mandatory=True)]),
    Feature.OPTIONAL_REQUESTS: make([req("a", "D1", "S1")]),
    Feature.TIME_WINDOWS: make(
        [req("a", "D1", "S1", mandatory=True, allowed_slots=[1])], slots=[2]
    ),
    Feature.UNAVAILABILITY: make(ONE, slots=[2], unavailable={"D1": [0]}),
    Feature.PINNED_SLOTS: make([req("a", "D1", "S1", mandatory=True, pin={"slot": 1})], slots=[2]),
    Feature.PINNED_ROOMS: make(
        [req("a", "D1", "S1", mandatory=True, pin={"slot": 0, "room": "R0"})], rooms=1
    ),
    Feature.ROOM_CLASSES: make(
        [req("a", "D1", "S1", mandatory=True, attendees=5), req("b", "D2", "S2", mandatory=True)],
        rooms=[Room(id="R0", capacity=3), Room(id="R1", capacity=9)],
    ),
    Feature.EXPLICIT_ROOMS: make(  # the rooms that fit are {R0} and {R1}: not nested
        [req("a", "D1", "S1", mandatory=True), req("b", "D2", "S2", mandatory=True)],
        rooms=[Room(id="R0", reserved_for="D1"), Room(id="R1", reserved_for="D2")],
    ),
    Feature.PRECEDENCE: make(
        [req("a", "D1", "S1", mandatory=True), req("b", "D1", "S2", mandatory=True, after=["a"])],
        slots=[2],
    ),
    Feature.SECTOR_KEEPS_ROOM: make(ONE, sector_keeps_room=True),
    # two sectors, one room, and a meeting without a sector, which may use any room: the
    # rooms do not follow from homes, the model carries the rule
    Feature.HOME_ROOMS: make(
        [
            req("a", "D1", "S1", mandatory=True),
            req("b", "D2", "S2", mandatory=True),
            req("c", "D1", "D2", mandatory=True),
        ],
        slots=[3],
        home_rooms=True,
    ),
    Feature.REPLAN: make(ONE, previous=[Assignment(request="a", slot=0, room="R0")]),
    Feature.BREAK_FAIRNESS: make(ONE, break_fairness=1),
}


def test_the_base_problem_has_no_feature():
    inst = make(ONE, slots=[2])
    assert features(prepare(inst), inst.options) == frozenset()


@pytest.mark.parametrize("feature", list(Feature))
def test_each_feature_is_recognised(feature: Feature) -> None:
    inst = FEATURE_EXAMPLES[feature]
    found = features(prepare(inst), inst.options)
    assert feature in found
    # the examples add nothing else, but what a feature implies
    implied = {
        Feature.SECTOR_KEEPS_ROOM: {Feature.EXPLICIT_ROOMS},
        Feature.HOME_ROOMS: {Feature.EXPLICIT_ROOMS},
        Feature.PINNED_ROOMS: {Feature.PINNED_SLOTS},
        Feature.EXPLICIT_ROOMS: {Feature.ROOM_CLASSES},
    }
    assert found - {feature} <= implied.get(feature, set()), found


def test_an_engine_applies_only_where_it_supports_every_feature():
    # one-slot pair meetings, all mandatory: the local search and the MaxSAT search apply;
    # a precedence between two of them is a feature the local search does not support (the
    # MaxSAT search does), an optional request one the MaxSAT search does not
    reqs = [req("a", "D1", "S1", mandatory=True), req("b", "D1", "S2", mandatory=True)]
    for after, mandatory, in_local, in_maxsat in (
        ([], True, True, True),
        (["a"], True, False, True),
        ([], False, True, False),
    ):
        reqs[1] = req("b", "D1", "S2", mandatory=mandatory, after=after)
        inst = make(reqs, slots=[3], stages=["breaks"])
        b = build(prepare(inst), inst.options, ["breaks"])
        add_breaks(b)
        assert local.applies(b) is in_local and maxsat.applies(b) is in_maxsat


def test_shared_home_rooms_keep_rooms_pooled_for_the_local_search():
    # three sectors, two rooms: two sectors share a home room, a virtual party of that room
    # joins their meetings; rooms stay pooled, so the local search applies and no break of
    # the virtual party counts
    reqs = [req(f"{s}{i}", f"D{i}", s, mandatory=True) for s in ("S1", "S2", "S3") for i in (1, 2)]
    inst = make(reqs, slots=[4], rooms=2, home_rooms=True, stages=["breaks"])
    prep = prepare(inst)
    assert len(prep.virtual) == 1 and prep.pooled
    assert features(prep, inst.options) == {Feature.GROUP_MEETINGS}
    b = build(prep, inst.options, ["breaks"])
    add_breaks(b)
    assert local.applies(b) and not maxsat.applies(b)
    assert prep.virtual[0] not in b.counted
    sol = solve(inst)
    assert sol.breaks == validate(inst, sol).breaks_total
    held = [(a.slot, a.room) for a in sol.assignments]
    assert len(held) == len(reqs) == len(set(held))
