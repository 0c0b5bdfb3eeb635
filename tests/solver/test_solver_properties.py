"""Property tests on random small instances: every solution passes the validator."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from solver import (
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
from solver.model import add_breaks, build, extend_values
from solver.prep import prepare
from solver.solve import stage_order
from solver.starts import greedy_start


@st.composite
def instances(draw):
    days = [
        Day(
            id=f"d{i}",
            blocks=[
                Block(id=f"d{i}b{j}", slots=draw(st.integers(1, 3)))
                for j in range(draw(st.integers(1, 2)))
            ],
        )
        for i in range(draw(st.integers(1, 2)))
    ]
    grid = TimeGrid(days=days)
    n = grid.n_slots
    kinds = ["delegation", "sector", "other"]
    parties = [
        Party(
            id=f"P{i}",
            kind=kinds[i % 3],
            unavailable=draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True)),
        )
        for i in range(draw(st.integers(2, 5)))
    ]
    capacities = draw(st.lists(st.sampled_from([None, 3, 6]), min_size=1, max_size=3))
    rooms = [Room(id=f"R{k}", capacity=c) for k, c in enumerate(capacities)]
    home_rooms = draw(st.booleans())
    if home_rooms:  # some sectors are given their home room
        parties = [
            p.model_copy(
                update={"home_room": draw(st.sampled_from([None, *[x.id for x in rooms]]))}
            )
            if p.kind == "sector"
            else p
            for p in parties
        ]
    if draw(st.booleans()) and len(rooms) > 1:
        rooms[0] = Room(id="R0", reserved_for=parties[0].id)
    block_ids = [b.id for d in days for b in d.blocks]
    requests = []
    for r in range(draw(st.integers(1, 8))):
        members = draw(
            st.lists(st.sampled_from([p.id for p in parties]), min_size=2, max_size=3, unique=True)
        )
        pin = None
        if draw(st.integers(0, 9)) == 0:
            pin = Pin(
                slot=draw(st.integers(0, n - 1)),
                room=draw(st.sampled_from([None, *[x.id for x in rooms]])),
            )
        requests.append(
            MeetingRequest(
                id=f"r{r}",
                parties=members,
                weight=draw(st.integers(0, 5)),
                mandatory=draw(st.integers(0, 5)) == 0,
                duration=draw(st.sampled_from([1, 1, 1, 2])),
                allowed_blocks=draw(
                    st.one_of(
                        st.none(), st.lists(st.sampled_from(block_ids), min_size=1, unique=True)
                    )
                ),
                attendees=draw(st.sampled_from([0, 0, 4])),
                pin=pin,
                after=[f"r{q}" for q in range(r) if draw(st.integers(0, 6)) == 0],
            )
        )
    options = Options(
        time_limit_s=5,
        workers=1,
        sector_keeps_room=draw(st.booleans()),
        home_rooms=home_rooms,
        break_fairness=draw(st.sampled_from([None, None, 0, 1])),
        breaks_span_blocks=draw(st.booleans()),
        break_parties=draw(st.sampled_from(["all", "delegations", "sectors"])),
    )
    return Instance(grid=grid, rooms=rooms, parties=parties, requests=requests, options=options)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_cpsat_and_greedy_solutions_are_valid(inst):
    sol = solve(inst)
    report = validate(inst, sol)
    assert report.ok, report.violations
    g = greedy(inst)
    g_report = validate(inst, g)
    g_rules = [v for v in g_report.violations if not v.startswith("break fairness")]
    assert not g_rules, g_rules
    assert {u.request for u in sol.unscheduled} == {
        r.id for r in inst.requests if r.id not in {a.request for a in sol.assignments}
    }
    if sol.status in (Status.OPTIMAL, Status.FEASIBLE):
        assert report.scheduled_weight == sol.scheduled_weight
        assert report.breaks_total == sol.breaks
        fairness = next((s for s in sol.stages if s.name == "fairness"), None)
        if fairness is not None and fairness.status == Status.OPTIMAL:
            assert fairness.objective == report.min_share
    greedy_complete = g.status == Status.FEASIBLE and g_report.ok
    if greedy_complete:
        # the greedy schedule is feasible for CP-SAT, so CP-SAT does at least as well
        assert sol.status == Status.OPTIMAL
        assert sol.scheduled_weight >= g.scheduled_weight
    if sol.status == Status.INFEASIBLE:
        assert sol.conflicts
        assert not greedy_complete


@st.composite
def replans(draw):
    """An instance, its greedy plan as `previous`, then one party away at one slot more and
    some earlier meetings released."""
    inst = draw(instances())
    plan = greedy(inst).assignments
    away = draw(st.sampled_from([p.id for p in inst.parties]))
    slot = draw(st.integers(0, inst.grid.n_slots - 1))
    parties = [
        p.model_copy(update={"unavailable": sorted({*p.unavailable, slot})}) if p.id == away else p
        for p in inst.parties
    ]
    released = [a.request for a in plan if draw(st.integers(0, 4)) == 0]
    options = inst.options.model_copy(update={"previous": plan, "release": released})
    return Instance(
        grid=inst.grid, rooms=inst.rooms, parties=parties, requests=inst.requests, options=options
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replans())
def test_replans_keep_the_earlier_plan_and_are_valid(inst):
    sol = solve(inst)
    report = validate(inst, sol)
    assert report.ok, report.violations
    if sol.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return
    kept = inst.options.kept()
    placed = {a.request for a in sol.assignments}
    # every earlier meeting left out says why, as an earlier meeting
    assert {u.request for u in sol.unscheduled if u.code == "previous_dropped"} == {
        rid for rid in kept if rid not in placed
    }
    keep = next((s for s in sol.stages if s.name == "keep"), None)
    if keep is not None:
        assert keep.objective == len(placed & set(kept))
    changes = next(s for s in sol.stages if s.name == "changes")
    if changes.status == Status.OPTIMAL:  # (pooled rooms may count one change more)
        assert changes.objective <= report.changes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_greedy_hint_is_a_complete_feasible_assignment(inst):
    opts = inst.options
    built = build(prepare(inst), opts, stage_order(inst, opts))
    values, ok = greedy_start(built)
    # the breaks variables come later (as in solve) and are computed from the earlier values
    add_breaks(built)
    values = extend_values(built, values)
    model = built.model
    model.clear_hints()
    model.proto.solution_hint.vars.extend(range(len(values)))
    model.proto.solution_hint.values.extend(values)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5
    status = solver.solve(model)
    if ok:
        assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        assert list(solver.response_proto.solution) == values
    else:
        assert status == cp_model.INFEASIBLE


@st.composite
def shared_homes(draw):
    """GORE-shaped instances under home rooms with fewer rooms than sectors: every meeting
    has a delegation and one or two sectors, so homes are shared and mostly written as
    virtual parties (prep.with_room_parties); sometimes a re-plan of the greedy's plan."""
    days = [
        Day(id=f"d{i}", blocks=[Block(id=f"d{i}b0", slots=draw(st.integers(2, 4)))])
        for i in range(draw(st.integers(1, 2)))
    ]
    grid = TimeGrid(days=days)
    n = grid.n_slots
    rooms = [
        Room(id=f"R{k}", capacity=c)
        for k, c in enumerate(draw(st.lists(st.sampled_from([None, 3, 6]), min_size=1, max_size=3)))
    ]
    n_sectors = draw(st.integers(len(rooms) + 1, len(rooms) + 2))
    sectors = [
        Party(
            id=f"S{i}",
            kind="sector",
            unavailable=draw(st.lists(st.integers(0, n - 1), max_size=1, unique=True)),
            home_room=draw(st.sampled_from([None, None, None, *[x.id for x in rooms]])),
        )
        for i in range(n_sectors)
    ]
    delegations = [
        Party(
            id=f"D{i}",
            kind="delegation",
            unavailable=draw(st.lists(st.integers(0, n - 1), max_size=1, unique=True)),
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    requests = []
    for r in range(draw(st.integers(2, 9))):
        members = [
            draw(st.sampled_from([d.id for d in delegations])),
            *draw(
                st.lists(
                    st.sampled_from([x.id for x in sectors]), min_size=1, max_size=2, unique=True
                )
            ),
        ]
        requests.append(
            MeetingRequest(
                id=f"r{r}",
                parties=members,
                weight=draw(st.integers(0, 5)),
                mandatory=draw(st.integers(0, 5)) == 0,
                attendees=draw(st.sampled_from([0, 0, 4])),
                after=[f"r{q}" for q in range(r) if draw(st.integers(0, 9)) == 0],
            )
        )
    options = Options(
        time_limit_s=5,
        workers=1,
        home_rooms=True,
        break_fairness=draw(st.sampled_from([None, None, 1])),
        break_parties=draw(st.sampled_from(["all", "delegations", "sectors"])),
    )
    inst = Instance(
        grid=grid, rooms=rooms, parties=sectors + delegations, requests=requests, options=options
    )
    if draw(st.booleans()):
        plan = greedy(inst).assignments
        update = {"previous": plan, "release": [a.request for a in plan[:1]]}
        inst = inst.model_copy(update={"options": options.model_copy(update=update)})
    return inst


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shared_homes())
def test_shared_home_rooms_give_valid_schedules(inst):
    """Shared homes as virtual parties: the CP-SAT and greedy schedules keep every rule of
    the instance as given, and the reported breaks are the validator's (the virtual parties
    count none)."""
    sol = solve(inst)
    report = validate(inst, sol)
    assert report.ok, report.violations
    g_report = validate(inst, greedy(inst))
    assert not [v for v in g_report.violations if not v.startswith("break fairness")]
    if sol.status in (Status.OPTIMAL, Status.FEASIBLE):
        assert report.breaks_total == sol.breaks
        assert report.scheduled_weight == sol.scheduled_weight


def test_the_property_tests_draw_the_same_examples_on_every_run():
    """The `ci` profile of tests/conftest.py is in force (unless a run asks to explore):
    derandomized, with no database of earlier failures that would make runs differ."""
    if os.environ.get("ARTICULA_HYPOTHESIS_PROFILE", "ci") != "ci":
        return
    assert settings.default.derandomize is True
    assert settings.default.database is None
