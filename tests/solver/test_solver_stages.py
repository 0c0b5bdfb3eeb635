"""Each objective stage on a tiny instance with a hand-computed optimum."""

from __future__ import annotations

import importlib
import itertools
import random
from pathlib import Path

import pytest
from solver_kit import codes, grid, make, req, where

from solver import (
    Assignment,
    Block,
    Day,
    Instance,
    MeetingRequest,
    Room,
    Status,
    TimeGrid,
    greedy,
    solve,
    validate,
)
from solver.cpsat import Outcome
from solver.model import build, hint_values, least_value
from solver.prep import prepare
from solver.replan import forced_new

solve_module = importlib.import_module("solver.solve")  # `solver.solve` is the function
# the re-plan order without the keeping rules (keep_previous=False)
WEIGHT_FIRST = ["weight", "changes", "fairness", "breaks"]


def solved(inst):
    sol = solve(inst)
    report = validate(inst, sol)
    assert report.ok, report.violations
    assert report.scheduled_weight == sol.scheduled_weight
    assert report.breaks_total == sol.breaks
    return sol, report


def stage(sol, name):
    return next(s for s in sol.stages if s.name == name)


def test_weight_keeps_the_heaviest():
    reqs = [
        req("w5", "A", "B", weight=5),
        req("w3", "A", "C", weight=3),
        req("w1", "A", "D", weight=1),
    ]
    sol, _ = solved(make(reqs, slots=[2], rooms=2))
    assert sol.status == Status.OPTIMAL
    assert sorted(where(sol)) == ["w3", "w5"] and sol.scheduled_weight == 8
    assert stage(sol, "weight").objective == 8 and stage(sol, "weight").gap == 0
    assert [u.request for u in sol.unscheduled] == ["w1"]


def test_fairness_raises_the_worst_delegation():
    # one sector, two slots: any two meetings give weight 2, fairness picks one per delegation
    reqs = [req("a1", "D1", "S"), req("a2", "D1", "S"), req("b1", "D2", "S")]
    sol, report = solved(make(reqs, slots=[2]))
    assert stage(sol, "fairness").objective == 500 == report.min_share
    assert "b1" in where(sol)
    sol, _ = solved(make(reqs, slots=[2], fairness=False))
    assert [s.name for s in sol.stages] == ["weight", "breaks"]


def test_fairness_share_is_per_mille_of_requested_weight():
    reqs = [req("a1", "D1", "S", weight=1), req("a2", "D1", "S", weight=2), req("b1", "D2", "T")]
    sol, report = solved(make(reqs, slots=[1], rooms=2))
    # S has one slot: D1 gets 2 of its 3 requested weight, D2 all of it
    assert report.min_share == 666 == stage(sol, "fairness").objective


def _two_meetings(**kw):
    return [
        req("ab", "A", "B", mandatory=True, **kw.get("ab", {})),
        req("ac", "A", "C", mandatory=True, **kw.get("ac", {})),
    ]


def test_breaks_are_minimised():
    sol, report = solved(make(_two_meetings(), slots=[3]))
    assert sol.breaks == 0 == stage(sol, "breaks").objective
    assert abs(where(sol)["ab"][0] - where(sol)["ac"][0]) == 1
    forced = make(_two_meetings(), slots=[3], unavailable={"B": [1, 2], "C": [0, 1]})
    sol, report = solved(forced)
    assert sol.breaks == 1 == report.breaks_by_party["A"] == stage(sol, "breaks").objective


def test_breaks_across_blocks_and_days():
    apart = _two_meetings(ab={"allowed_slots": [0]}, ac={"allowed_slots": [3]})
    sol, _ = solved(make(apart, slots=grid([2, 2])))
    assert sol.breaks == 1
    sol, _ = solved(make(apart, slots=grid([2, 2]), breaks_span_blocks=False))
    assert sol.breaks == 0
    adjacent = _two_meetings(ab={"allowed_slots": [1]}, ac={"allowed_slots": [2]})
    sol, _ = solved(make(adjacent, slots=grid([2, 2])))
    assert sol.breaks == 0
    two_days = _two_meetings(ab={"allowed_slots": [0]}, ac={"allowed_slots": [3]})
    sol, _ = solved(make(two_days, slots=grid([2], [2])))
    assert sol.breaks == 0


def test_break_parties_selects_who_counts():
    reqs = [
        req("ab", "D1", "S1", mandatory=True, allowed_slots=[0]),
        req("ac", "D1", "S2", mandatory=True, allowed_slots=[2]),
    ]
    sol, _ = solved(make(reqs, slots=[3], break_parties="delegations"))
    assert sol.breaks == 1
    sol, _ = solved(make(reqs, slots=[3], break_parties="sectors"))
    assert sol.breaks == 0


def test_break_fairness():
    # A must have one break; B and C have one meeting each, so zero breaks
    reqs = _two_meetings(ab={"allowed_slots": [0]}, ac={"allowed_slots": [2]})
    sol = solve(make(reqs, slots=[3], break_fairness=0))
    assert sol.status == Status.INFEASIBLE and sorted(sol.conflicts) == ["ab", "ac"]
    sol, _ = solved(make(reqs, slots=[3], break_fairness=1))
    assert sol.status == Status.OPTIMAL and sol.breaks == 1
    # optional meetings: fairness 0 forces dropping one (weight 1 instead of 2)
    optional = [MeetingRequest(**{**r.model_dump(), "mandatory": False}) for r in reqs]
    sol, _ = solved(make(optional, slots=[3], break_fairness=0))
    assert sol.scheduled_weight == 1 and sol.breaks == 0


def _replan(**kw):
    previous = [
        Assignment(request="ab", slot=0, room="R0"),
        Assignment(request="ac", slot=2, room="R0"),
    ]
    return make(_two_meetings(), slots=[3], previous=previous, **{"keep_previous": False, **kw})


def test_changes_after_breaks():
    sol, report = solved(_replan())
    assert [s.name for s in sol.stages] == ["weight", "breaks", "changes"]
    assert sol.breaks == 0 and stage(sol, "changes").objective == 1 == report.changes


def test_changes_before_breaks():
    sol, report = solved(_replan(changes_before_breaks=True))
    assert [s.name for s in sol.stages] == ["weight", "changes", "breaks"]
    assert stage(sol, "changes").objective == 0 == report.changes
    assert sol.breaks == 1
    assert where(sol) == {"ab": (0, "R0"), "ac": (2, "R0")}


def test_changes_count_moves_drops_and_new_requests():
    rooms = [Room(id="R0", capacity=10), Room(id="R1", capacity=4)]
    previous = [
        Assignment(request="ab", slot=0, room="R0"),
        Assignment(request="gone", slot=1, room="R0"),
    ]
    reqs = [req("ab", "A", "B"), req("gone", "A", "C", attendees=50), req("new", "D", "E")]
    inst = make(
        reqs,
        slots=[2],
        rooms=rooms,
        previous=previous,
        changes_before_breaks=True,
        keep_previous=False,
    )
    sol, report = solved(inst)
    assert where(sol)["ab"] == (0, "R0")  # kept exactly, room included
    # "gone" cannot be scheduled any more (no room holds 50), "new" is scheduled: 2 changes
    assert report.changes == 2 == stage(sol, "changes").objective


def test_progress_callback_and_failing_callback():
    events = []
    reqs = [req(f"r{i}", "A", f"B{i}", weight=i + 1) for i in range(4)]
    solve(make(reqs, slots=[3]), progress=events.append)
    assert events and {e.stage for e in events} >= {"weight"}
    assert any(e.stage == "weight" and e.objective == 9 for e in events)

    def boom(event):
        raise RuntimeError("user callback failed")

    assert solve(make(reqs, slots=[3]), progress=boom).status == Status.OPTIMAL


def random_instance(seed: int, n_requests: int = 40):
    rnd = random.Random(seed)
    dels = [f"D{i}" for i in range(8)]
    secs = [f"S{i}" for i in range(5)]
    reqs = [
        req(f"r{i}", rnd.choice(dels), rnd.choice(secs), weight=rnd.randint(1, 5))
        for i in range(n_requests)
    ]
    reqs = list({tuple(sorted(r.parties)): r for r in reqs}.values())
    unavailable = {p: rnd.sample(range(8), 2) for p in dels}
    return make(reqs, slots=grid([4, 4]), rooms=3, unavailable=unavailable, seed=7)


def test_determinism_with_one_worker_and_a_seed():
    inst = random_instance(1)
    first, second = solve(inst), solve(inst)
    assert first.status == Status.OPTIMAL
    assert first.assignments == second.assignments
    assert [s.objective for s in first.stages] == [s.objective for s in second.stages]


def test_replan_keeps_the_previous_plan_where_it_still_holds():
    # the greedy re-plan (also the CP-SAT hint) keeps every meeting of the earlier plan that
    # is still allowed and free, and places the rest around them
    reqs = [req("ab", "A", "B"), req("cd", "C", "D"), req("ae", "A", "E"), req("new", "C", "F")]
    previous = [
        Assignment(request="ab", slot=2, room="R0"),
        Assignment(request="cd", slot=1, room="R1"),
        Assignment(request="ae", slot=0, room="R0"),
    ]
    inst = make(reqs, slots=[3], rooms=2, previous=previous, unavailable={"E": [0]})
    placed = where(greedy(inst))
    assert placed["ab"] == (2, "R0") and placed["cd"] == (1, "R1")
    assert placed["ae"][0] == 1  # E left slot 0; A is busy at 2
    assert placed["new"][0] in (0, 2)  # C is busy at 1 with cd
    # without an earlier plan the greedy starts from slot 0 for everyone
    fresh = make(reqs, slots=[3], rooms=2, unavailable={"E": [0]})
    assert where(greedy(fresh))["ab"] == (0, "R0")


def test_replan_with_room_classes_keeps_the_rooms_of_meetings_that_stay():
    # two room classes (b needs a big room): the re-plan uses the pooled model, and the
    # meeting that moves into slot 1 leaves s its old room, so the only change is b's move
    rooms = [Room(id="R0", capacity=10), Room(id="R1", capacity=10), Room(id="R2", capacity=4)]
    reqs = [req("b", "A", "B", attendees=8), req("s", "C", "D", attendees=3)]
    previous = [
        Assignment(request="b", slot=0, room="R0"),
        Assignment(request="s", slot=1, room="R0"),
    ]
    inst = make(
        reqs,
        slots=[3],
        rooms=rooms,
        previous=previous,
        unavailable={"A": [0], "B": [2]},
        changes_before_breaks=True,
    )
    assert prepare(inst).pooled
    sol, report = solved(inst)
    assert where(sol) == {"b": (1, "R1"), "s": (1, "R0")}
    assert report.changes == 1 == stage(sol, "changes").objective


def test_a_stage_out_of_time_reports_its_objective_from_the_schedule(monkeypatch):
    # the fairness stage finds nothing in its time: it keeps the weight stage's schedule, and
    # its objective is that schedule's real share, not the value the weight stage's solver
    # happened to leave in the share variable
    real = solve_module.solve_once

    def fairness_times_out(m, options, seconds, cb, *args, **kwargs):
        if cb is not None and cb.stage == "fairness":
            return Outcome(Status.UNKNOWN)
        out = real(m, options, seconds, cb, *args, **kwargs)
        if cb is not None and cb.stage == "weight":
            # what CP-SAT may leave in a variable outside the stage's objective
            names = [v.name for v in m.proto.variables]
            out.values[names.index("min_share_per_mille")] = 0
        return out

    monkeypatch.setattr(solve_module, "solve_once", fairness_times_out)
    # two slots: D1 holds a1 and one of a2, a3 (share 800), D2 its only request (1000);
    # a window (that allows both slots) keeps the weight stage on CP-SAT, not the flow
    a1 = req("a1", "D1", "S1", weight=3, allowed_slots=[0, 1])
    reqs = [a1, req("a2", "D1", "S2"), req("a3", "D1", "S3")]
    reqs += [req("b1", "D2", "S1", weight=2)]
    inst = make(reqs, slots=[2], rooms=3)
    sol = solve(inst, progress=lambda event: None)
    report = validate(inst, sol)
    fairness = stage(sol, "fairness")
    assert fairness.status == Status.FEASIBLE
    assert fairness.objective == report.min_share == 800


def test_a_minimisation_whose_hint_is_zero_is_proven_without_cp_sat():
    # a re-plan where nothing changed: the hint is the earlier plan, no change at all
    reqs = [req("ab", "A", "B"), req("ac", "A", "C"), req("bd", "B", "D")]
    plan = solve(make(reqs, slots=[3], rooms=2))
    inst = make(
        reqs,
        slots=[3],
        rooms=2,
        previous=plan.assignments,
        stages=WEIGHT_FIRST,
        keep_previous=False,
    )
    sol, report = solved(inst)
    changes = stage(sol, "changes")
    assert changes.status == Status.OPTIMAL and changes.objective == 0 == report.changes
    assert changes.seconds == 0  # no solver call
    assert where(sol) == where(plan)


def test_replan_hint_keeps_the_earlier_plan_even_when_the_greedy_misses_a_mandatory(
    monkeypatch,
):
    # B is now away at slot 0: the greedy keeps ca at 1 and cannot place the mandatory ab;
    # its placement still guides CP-SAT (a schedule close to the earlier plan), which moves
    # both meetings
    hints = {}
    real = solve_module.run_stage

    def record(b, stage, seconds, hint, *args, **kwargs):
        hints[stage] = hint
        return real(b, stage, seconds, hint, *args, **kwargs)

    monkeypatch.setattr(solve_module, "run_stage", record)
    reqs = [req("ab", "A", "B", mandatory=True), req("ca", "C", "A")]
    previous = [
        Assignment(request="ab", slot=0, room="R0"),
        Assignment(request="ca", slot=1, room="R0"),
    ]
    inst = make(
        reqs,
        slots=[2],
        previous=previous,
        unavailable={"B": [0]},
        stages=WEIGHT_FIRST,
        keep_previous=False,
    )
    assert greedy(inst).status == Status.INFEASIBLE
    sol, report = solved(inst)
    assert where(sol) == {"ab": (1, "R0"), "ca": (0, "R0")}
    assert report.changes == 2 == stage(sol, "changes").objective
    assert hints["weight"] is not None  # the greedy re-plan, though it misses ab


def test_a_stage_proven_without_cp_sat_reports_its_value():
    # weight by the flow, fairness 1000 and no break in the hint: no solver call, yet the
    # progress feed shows each stage's result
    events = []
    reqs = [req("a", "D1", "S1"), req("b", "D2", "S2")]
    sol = solve(make(reqs, slots=[2], rooms=2), progress=events.append)
    assert [s.seconds for s in sol.stages] == [0.0, 0.0, 0.0]
    assert [(e.stage, e.objective, e.bound) for e in events] == [
        ("weight", 2, 2),
        ("fairness", 1000, 1000),
        ("breaks", 0, 0),
    ]


def test_a_replan_that_changes_only_what_it_must_is_proven_without_cp_sat():
    # B is now away at slot 0, so ab must move: one change at least, and the greedy re-plan
    # makes exactly that one; the changes stage needs no solver call
    reqs = [req("ab", "A", "B"), req("cd", "C", "D")]
    previous = [
        Assignment(request="ab", slot=0, room="R0"),
        Assignment(request="cd", slot=0, room="R1"),
    ]
    inst = make(
        reqs,
        slots=[2],
        rooms=2,
        previous=previous,
        unavailable={"B": [0]},
        stages=WEIGHT_FIRST,
        keep_previous=False,
    )
    sol, report = solved(inst)
    changes = stage(sol, "changes")
    assert changes.status == Status.OPTIMAL and changes.objective == 1 == report.changes
    assert changes.seconds == 0
    assert where(sol) == {"ab": (1, "R0"), "cd": (0, "R1")}


def test_least_value_reads_each_variables_domain():
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    a = m.new_bool_var("a")
    b = m.new_int_var(2, 5, "b")
    m.new_constant(7)
    assert least_value(m, 3 - a + 2 * b) == 3 - 1 + 4
    assert least_value(m, 10 - 2 * b) == 0
    assert least_value(m, 3 - a + ~a) == 2
    assert least_value(m, 4) == 4


def test_replan_weight_stage_finds_the_closest_heaviest_schedule_and_proves_its_changes():
    # B is now away at slot 0, so the greedy re-plan cannot place the mandatory ab. The
    # weight stage looks for the heaviest schedule with the fewest changes in one solve:
    # either way ab moves and one more meeting with it (2 changes), and the changes stage
    # is proven by that solve, without one of its own (its least value, 1, is not reached)
    events = []
    reqs = [req("ab", "A", "B", mandatory=True), req("ca", "C", "A"), req("de", "D", "E")]
    previous = [
        Assignment(request=r, slot=s, room="R0") for r, s in (("ab", 0), ("ca", 1), ("de", 2))
    ]
    inst = make(
        reqs,
        slots=[3],
        previous=previous,
        unavailable={"B": [0]},
        stages=WEIGHT_FIRST,
        keep_previous=False,
    )
    assert greedy(inst).status == Status.INFEASIBLE
    sol = solve(inst, progress=events.append)
    report = validate(inst, sol)
    assert report.ok and report.scheduled_weight == 3 and report.changes == 2
    weight, changes = stage(sol, "weight"), stage(sol, "changes")
    assert weight.status == Status.OPTIMAL and weight.objective == weight.bound == 3
    assert changes.status == Status.OPTIMAL and changes.objective == 2 and changes.seconds == 0
    # progress reports the weight (at most 3), not the solver's combined objective (10)
    weights = [e for e in events if e.stage == "weight"]
    assert weights[-1].objective == 3 and all(e.objective <= min(3, e.bound) for e in weights)


def _closest_heaviest(inst) -> tuple[int, int]:
    """(weight, changes) of the heaviest schedule closest to the earlier plan, by trying
    every placement (one room: at most one meeting a slot)."""
    n = inst.grid.n_slots
    away = {p.id: set(p.unavailable) for p in inst.parties}
    old = {a.request: a.slot for a in inst.options.previous}
    best = None
    for choice in itertools.product(range(-1, n), repeat=len(inst.requests)):
        used = [s for s in choice if s >= 0]
        if len(used) != len(set(used)):
            continue
        if any(
            (s < 0 and r.mandatory) or (s >= 0 and any(s in away[p] for p in r.parties))
            for r, s in zip(inst.requests, choice, strict=True)
        ):
            continue
        weight = sum(r.weight for r, s in zip(inst.requests, choice, strict=True) if s >= 0)
        changes = sum(
            old.get(r.id, -1) != s and (s >= 0 or r.id in old)
            for r, s in zip(inst.requests, choice, strict=True)
        )
        best = max(best or (weight, -changes), (weight, -changes))
    return best[0], -best[1]


@pytest.mark.parametrize("pairs", [False, True], ids=["any parties", "delegation-sector"])
def test_replan_weight_and_changes_match_every_placement_tried(pairs):
    # delegation-sector pairs take the flow's paths (solver/flow.py: weight bound, forced
    # new requests), other parties CP-SAT's weight stage
    for seed in range(6):
        rnd = random.Random(seed)

        def parties(rnd: random.Random = rnd) -> list[str]:
            if pairs:
                return [rnd.choice(["D1", "D2", "D3"]), rnd.choice(["S1", "S2"])]
            return rnd.sample("ABCD", 2)

        reqs = [
            req(f"r{i}", *parties(), weight=rnd.randint(1, 3), mandatory=i == 0) for i in range(4)
        ]
        reqs = list({tuple(r.parties): r for r in reqs}.values())  # one request a pair
        plan = solve(make(reqs, slots=[4]))
        lost = rnd.choice(plan.assignments)
        party = rnd.choice(next(r for r in reqs if r.id == lost.request).parties)
        new = req("new", *parties(), weight=rnd.randint(1, 4))
        inst = make(
            [*reqs, new],
            slots=[4],
            previous=plan.assignments,
            unavailable={party: [lost.slot]},
            stages=WEIGHT_FIRST,
            keep_previous=False,
        )
        sol, report = solved(inst)
        assert (report.scheduled_weight, report.changes) == _closest_heaviest(inst), (seed, party)
        assert stage(sol, "changes").objective == report.changes


@pytest.fixture
def solved_stages(monkeypatch) -> list[str]:
    """The stages that get a solve of their own (solve.run_stage), in order."""
    stages: list[str] = []
    real = solve_module.run_stage

    def record(b, stage, *args, **kwargs):
        stages.append(stage)
        return real(b, stage, *args, **kwargs)

    monkeypatch.setattr(solve_module, "run_stage", record)
    return stages


def test_replan_places_what_the_greedy_leaves_out_by_moving_its_parties_meetings(solved_stages):
    # D2 is now away at slot 1: d2s1 can only go to slot 0, where S1 meets D1. The greedy
    # re-plan keeps d1s1 there and leaves d2s1 out; moving only the meetings of D2 and S1
    # places it (d1s1 to slot 1), which reaches the flow's weight bound: the weight is
    # proven without a weight stage solve, and d3s2 stays where it was
    reqs = [req("d1s1", "D1", "S1"), req("d2s1", "D2", "S1"), req("d3s2", "D3", "S2")]
    previous = [
        Assignment(request=r, slot=s, room=room)
        for r, s, room in (("d1s1", 0, "R0"), ("d2s1", 1, "R0"), ("d3s2", 0, "R1"))
    ]
    inst = make(
        reqs,
        slots=[2],
        rooms=2,
        previous=previous,
        unavailable={"D2": [1]},
        stages=WEIGHT_FIRST,
        keep_previous=False,
    )
    assert [u.request for u in greedy(inst).unscheduled] == ["d2s1"]
    sol, report = solved(inst)
    assert report.scheduled_weight == 3 and report.changes == 2
    assert {r: s for r, (s, _) in where(sol).items()} == {"d1s1": 1, "d2s1": 0, "d3s2": 0}
    assert stage(sol, "weight").status == Status.OPTIMAL and "weight" not in solved_stages


def test_replan_changes_of_a_request_the_weight_needs_are_proven_without_a_solve(solved_stages):
    # D2 asks S1 (weight 10) after the plan: every schedule of the re-plan's weight holds
    # it (without it the flow's bound falls by 10), so its change is forced and the
    # changes stage, at that least value, is proven without a solve
    previous = [Assignment(request="d1s1", slot=0, room="R0")]
    reqs = [req("d1s1", "D1", "S1"), req("d2s1", "D2", "S1", weight=10)]
    inst = make(reqs, slots=[2], previous=previous, stages=WEIGHT_FIRST, keep_previous=False)
    sol, report = solved(inst)
    changes = stage(sol, "changes")
    assert report.changes == 1 == changes.objective and changes.status == Status.OPTIMAL
    assert solved_stages == [] and changes.seconds == 0


def test_forced_new_counts_only_the_new_requests_the_weight_cannot_do_without():
    # one slot, S1 in it: d1s1 (in the plan) or the new d2s1. At weight 1 either will do,
    # so scheduling d2s1 is not forced; when d2s1 weighs 3, weight 3 needs it
    previous = [Assignment(request="d1s1", slot=0, room="R0")]
    for new_weight, floor, forced in ((1, 1, 0), (3, 3, 1), (3, 1, 0)):
        reqs = [req("d1s1", "D1", "S1"), req("d2s1", "D2", "S1", weight=new_weight)]
        inst = make(reqs, slots=[1], previous=previous, stages=WEIGHT_FIRST, keep_previous=False)
        b = build(prepare(inst), inst.options, WEIGHT_FIRST)
        values = hint_values(b, {(1, 0): None})  # d2s1 in the slot, d1s1 dropped
        assert forced_new(b, values, floor) == forced, (new_weight, floor)


def _published(**kw):
    """Cusco meets MINSA and MVCS at slot 0, Lima meets MVCS at slot 1; Junin-MVCS is new,
    of the same weight; MINSA is now away at slot 0."""
    reqs = [
        req("cusco", "DCUSCO", "SMINSA", "SMVCS", weight=5),
        req("lima", "DLIMA", "SMVCS", weight=5),
        req("junin", "DJUNIN", "SMVCS", weight=5),
    ]
    previous = [
        Assignment(request="cusco", slot=0, room="R0"),
        Assignment(request="lima", slot=1, room="R0"),
    ]
    return make(reqs, slots=[2], rooms=2, previous=previous, unavailable={"SMINSA": [0]}, **kw)


def test_a_replan_keeps_every_earlier_meeting_that_can_be_held():
    # the weight is 10 whether Junin replaces Cusco or not: keeping moves both earlier ones
    sol, report = solved(_published())
    assert [s.name for s in sol.stages] == ["keep", "changes", "weight", "fairness", "breaks"]
    assert where(sol) == {"cusco": (1, "R0"), "lima": (0, "R0")}
    assert stage(sol, "keep").objective == 2 and stage(sol, "changes").objective == 2
    assert report.changes == 2 and codes(sol) == {"junin": "party_capacity"}


def test_a_released_meeting_may_go():
    sol, report = solved(_published(release=["cusco"]))
    # Lima stays where it was, Junin takes the slot Cusco can no longer use
    assert where(sol) == {"lima": (1, "R0"), "junin": (0, "R0")}
    assert stage(sol, "changes").objective == 0 == report.changes
    assert codes(sol)["cusco"] != "previous_dropped"


def test_an_earlier_meeting_that_cannot_be_held_says_why():
    time_grid = TimeGrid(
        slot_minutes=30, days=[Day(id="d1", blocks=[Block(id="am", slots=4, start="09:00")])]
    )
    inst = _published()
    inst = make(
        list(inst.requests),
        slots=time_grid,
        rooms=2,
        previous=inst.options.previous,
        unavailable={"SMINSA": [0, 1, 2, 3]},
    )
    sol, _ = solved(inst)
    assert codes(sol)["cusco"] == "previous_dropped"
    reason = next(u.reason for u in sol.unscheduled if u.request == "cusco")
    assert reason == "SMINSA is unavailable from 09:00 to 11:00 and it has no other start time"
    assert "cusco" not in where(sol) and {"lima", "junin"} <= set(where(sol))


def test_the_7th_edition_example_moves_only_the_forced_meetings():
    # the file format's example with its greedy plan as `previous`, then MINSA away for
    # the first three slots in a row where it meets: 3 meetings must move, and only they do
    path = Path(__file__).resolve().parents[2] / "docs" / "examples" / "gore-7th-edition.json"
    inst = Instance.model_validate_json(path.read_text(encoding="utf-8"))
    plan = greedy(inst).assignments
    busy = {a.slot for a in plan if "MINSA" in inst.request_by_id[a.request].parties}
    start = min(t for t in busy if {t + 1, t + 2} <= busy)
    away = {start, start + 1, start + 2}
    parties = [
        p.model_copy(update={"unavailable": sorted({*p.unavailable, *away})})
        if p.id == "MINSA"
        else p
        for p in inst.parties
    ]
    options = inst.options.model_copy(update={"previous": plan, "workers": 1})
    replan = Instance.model_validate(
        inst.model_copy(update={"parties": parties, "options": options}).model_dump()
    )
    sol, report = solved(replan)
    forced = {
        a.request
        for a in plan
        if a.slot in away and "MINSA" in inst.request_by_id[a.request].parties
    }
    assert len(forced) == 3
    assert stage(sol, "keep").objective == len(plan)  # nothing dropped
    changes = stage(sol, "changes")
    assert changes.status == Status.OPTIMAL and changes.objective == 3 == report.changes
    before = {(a.request, a.slot, a.room) for a in plan}
    assert {a.request for a in sol.assignments if (a.request, a.slot, a.room) not in before} == (
        forced
    )
