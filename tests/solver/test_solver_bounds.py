"""Breaks lower bounds: the crowded-interval cuts and the busy-pattern relaxation are valid
(never above a brute-force optimum) and strong where an interval is crowded."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solver_kit import make, req

from solver import Status, solve, validate
from solver.breaks.relax import applies, restricted_breaks_bound
from solver.model import add_breaks, build
from solver.prep import prepare


def brute_force_breaks(inst, fairness: int | None) -> int | None:
    """The fewest total breaks over every complete schedule (None: no schedule), counting
    like the product: idle runs between two meetings of a party on one day, across blocks;
    with `fairness`, every party at most that many breaks (the restricted breaks stage)."""
    prep = prepare(inst)
    reqs = inst.requests
    day_of = [prep.slot_day[t] for t in range(prep.n)]
    best = None
    for starts in itertools.product(*prep.starts):
        busy: dict[str, set[int]] = {p.id: set() for p in inst.parties}
        per_slot = [0] * prep.n
        ok = True
        for r, s in enumerate(starts):
            for t in range(s, s + reqs[r].duration):
                per_slot[t] += 1
                for p in reqs[r].parties:
                    if t in busy[p]:
                        ok = False
                    busy[p].add(t)
        if not ok or max(per_slot) > len(inst.rooms):
            continue
        total, worst = 0, 0
        for slots in busy.values():
            ordered = sorted(slots)
            n = sum(
                1
                for a, z in zip(ordered, ordered[1:], strict=False)
                if z > a + 1 and day_of[a] == day_of[z]
            )
            total, worst = total + n, max(worst, n)
        if fairness is not None and worst > fairness:
            continue
        best = total if best is None else min(best, total)
    return best


@st.composite
def mandatory_instances(draw):
    n_slots = draw(st.integers(3, 6))
    split = draw(st.integers(0, n_slots - 1))
    slots = [split, n_slots - split] if split else [n_slots]
    parties = [f"P{i}" for i in range(draw(st.integers(2, 5)))]
    requests = []
    for r in range(draw(st.integers(2, 5))):
        members = draw(st.lists(st.sampled_from(parties), min_size=2, max_size=3, unique=True))
        duration = draw(st.sampled_from([1, 1, 2]))
        requests.append(req(f"r{r}", *members, mandatory=True, duration=duration))
    unavailable = {
        p: draw(st.lists(st.integers(0, n_slots - 1), max_size=1, unique=True)) for p in parties
    }
    return make(
        requests,
        slots=slots,
        rooms=draw(st.integers(1, 2)),
        unavailable=unavailable,
        stages=["breaks"],
        break_fairness=draw(st.sampled_from([None, 1])),
        time_limit_s=5.0,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mandatory_instances())
def test_bounds_never_exceed_the_brute_force_optimum(inst):
    d = inst.options.break_fairness
    restricted_best = brute_force_breaks(inst, d)
    b = build(prepare(inst), inst.options, ["breaks"])
    add_breaks(b)
    if restricted_best is not None:
        assert applies(b)
        bound = restricted_breaks_bound(b, 5.0)
        assert bound is not None and bound <= restricted_best
    sol = solve(inst)
    if sol.status == Status.OPTIMAL:
        assert validate(inst, sol).ok
        if d is None:  # the crowded cuts must not cut off the true optimum
            assert sol.breaks == restricted_best


def test_crowded_interval_forces_breaks_and_the_bounds_see_it():
    # 4 slots, 1 room: one meeting (2 busy parties) per slot. D-E and F-G may only take
    # slots 1 and 2, which they fill; A's two meetings go to slots 0 and 3: one break. The
    # cut sees it: A's run of 2 without a break meets slots 1-2 at least once, D to G need
    # them 4 times, and they hold 4 busy parties.
    inst = make(
        [
            req("ab", "A", "B", mandatory=True),
            req("ac", "A", "C", mandatory=True),
            req("de", "D", "E", mandatory=True, allowed_slots=[1, 2]),
            req("fg", "F", "G", mandatory=True, allowed_slots=[1, 2]),
        ],
        slots=[4],
        rooms=1,
        stages=["breaks"],
        time_limit_s=5.0,
    )
    assert brute_force_breaks(inst, None) == 1
    b = build(prepare(inst), inst.options, ["breaks"])
    add_breaks(b)
    crowded = [c for c in b.model.proto.constraints if c.name.startswith("crowded")]
    assert crowded, "slots 1-2 are over-subscribed by runs without a break"
    assert restricted_breaks_bound(b, 5.0) == 1
    sol = solve(inst)
    assert sol.status == Status.OPTIMAL and sol.breaks == 1
    assert sol.stages[-1].bound == 1


def brute_force_weight_then_breaks(inst) -> tuple[int, int]:
    """(heaviest weight, fewest breaks among the schedules of that weight) over every
    placement of every subset of the requests, counting breaks like the product."""
    prep = prepare(inst)
    reqs = inst.requests
    day_of = [prep.slot_day[t] for t in range(prep.n)]
    best: tuple[int, int] | None = None
    for starts in itertools.product(*[[None, *s] for s in prep.starts]):
        busy: dict[str, set[int]] = {p.id: set() for p in inst.parties}
        per_slot = [0] * prep.n
        ok, weight = True, 0
        for r, s in enumerate(starts):
            if s is None:
                continue
            weight += reqs[r].weight
            for t in range(s, s + reqs[r].duration):
                per_slot[t] += 1
                for p in reqs[r].parties:
                    ok = ok and t not in busy[p]
                    busy[p].add(t)
        if not ok or max(per_slot) > len(inst.rooms):
            continue
        breaks = 0
        for slots in busy.values():
            ordered = sorted(slots)
            breaks += sum(
                1
                for a, z in zip(ordered, ordered[1:], strict=False)
                if z > a + 1 and day_of[a] == day_of[z]
            )
        key = (-weight, breaks)
        best = key if best is None else min(best, key)
    assert best is not None  # the empty schedule always fits
    return -best[0], best[1]


@st.composite
def optional_instances(draw):
    """Delegations (D*) meeting sectors (S*), optional requests, few rooms, sectors away at
    times: which requests are scheduled decides how crowded the slots are (the cuts with
    variable loads, and the choice of requests before the breaks stage)."""
    n_slots = draw(st.integers(3, 5))
    split = draw(st.integers(0, n_slots - 1))
    slots = [split, n_slots - split] if split else [n_slots]
    delegations = [f"D{i}" for i in range(draw(st.integers(2, 3)))]
    sectors = [f"S{i}" for i in range(draw(st.integers(2, 3)))]
    requests = []
    for d in delegations:
        for s in draw(st.lists(st.sampled_from(sectors), min_size=1, max_size=3, unique=True)):
            requests.append(req(f"r{len(requests)}", d, s, weight=draw(st.integers(1, 3))))
    unavailable = {
        s: draw(st.lists(st.integers(0, n_slots - 1), max_size=n_slots - 1, unique=True))
        for s in sectors
    }
    return make(
        requests,
        slots=slots,
        rooms=draw(st.integers(1, 2)),
        unavailable=unavailable,
        stages=["weight", "breaks"],
        time_limit_s=5.0,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(optional_instances())
def test_crowded_cuts_with_optional_requests_keep_the_optimum(inst):
    weight, breaks = brute_force_weight_then_breaks(inst)
    sol = solve(inst)
    assert validate(inst, sol).ok
    assert sol.status == Status.OPTIMAL  # tiny: both stages proven
    assert (sol.scheduled_weight, sol.breaks) == (weight, breaks)


def test_crowded_cut_links_the_requests_chosen_to_the_breaks_they_force():
    # 4 slots, 2 rooms: at most 2 delegations meet per slot. Each delegation may meet S1, S2
    # and S3; 8 meetings fit. Two delegations with 3 meetings in one run each cover slots
    # 1 and 2, the third, with 2, one of them: 5 > 4 seats there. The cut on slots 1-2 over
    # the delegations counts the optional requests through [load >= k] literals.
    requests = [req(f"{d}{s}", d, s) for d in ("D1", "D2", "D3") for s in ("S1", "S2", "S3")]
    inst = make(requests, slots=[4], rooms=2, stages=["weight", "breaks"], time_limit_s=5.0)
    b = build(prepare(inst), inst.options, ["weight", "breaks"])
    add_breaks(b)
    cuts = [c for c in b.model.proto.constraints if c.name == "crowded[delegation,1,2]"]
    assert cuts
    names = {b.model.proto.variables[abs(v)].name for v in cuts[0].linear.vars}
    assert any(name.startswith("load[D") for name in names)
    weight, breaks = brute_force_weight_then_breaks(inst)
    sol = solve(inst)
    assert sol.status == Status.OPTIMAL
    assert (sol.scheduled_weight, sol.breaks) == (weight, breaks) == (8, sol.stages[-1].bound)
