"""The breaks stage's primal searches: simulated annealing on placements
(solver/breaks/local.py) and large neighbourhood search (solver/breaks/lns.py) keep every
hard rule and never worsen."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solver_kit import make, req

from solver import Room, Status, solve, validate
from solver.breaks import local, stage
from solver.breaks.lns import improve as lns_improve
from solver.breaks.local import Board, applies, improve, kempe_chain
from solver.breaks.portfolio import Companion, portfolio
from solver.breaks.scope import Scope
from solver.cpsat import solve_once
from solver.extract import placements
from solver.model import add_breaks, build, evaluate, fix_outside, hint_values
from solver.prep import prepare


def built(inst):
    b = build(prepare(inst), inst.options, ["breaks"])
    add_breaks(b)
    return b


def breaks_of(b, placed: dict[int, int]) -> dict[str, int]:
    """Breaks per counted party of placements, counted from scratch."""
    busy: dict[str, list[int]] = {p: [] for p in b.counted}
    for r, s in placed.items():
        for p in b.inst.requests[r].parties:
            if p in busy:
                busy[p].append(s)
    out = {}
    for p, slots in busy.items():
        ordered = sorted(slots)
        out[p] = sum(
            1
            for x, y in zip(ordered, ordered[1:], strict=False)
            if y > x + 1 and b.prep.slot_day[x] == b.prep.slot_day[y]
        )
    return out


def assert_keeps_hard_rules(b, placed: dict[int, int]) -> None:
    values = hint_values(b, dict.fromkeys(placed.items()))
    check = b.model.clone()
    fix_outside(check, b, values, set())
    out = solve_once(check, b.options, 5.0, None)
    assert out.status in (Status.OPTIMAL, Status.FEASIBLE), "placements break a hard rule"


@st.composite
def one_slot_instances(draw):
    n_slots = draw(st.integers(4, 8))
    parties = [f"P{i}" for i in range(draw(st.integers(3, 6)))]
    pairs = [(a, z) for i, a in enumerate(parties) for z in parties[i + 1 :]]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=8, unique=True))
    requests = [req(f"r{k}", a, z, mandatory=True) for k, (a, z) in enumerate(chosen)]
    reserved = draw(st.booleans())
    rooms = [Room(id="R0", reserved_for=chosen[0][0] if reserved else None), Room(id="R1")]
    return make(
        requests,
        slots=[n_slots],
        rooms=rooms[: draw(st.integers(1, 2))],
        stages=["breaks"],
        break_fairness=draw(st.sampled_from([None, 1])),
        time_limit_s=5.0,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_slot_instances(), st.integers(0, 3))
def test_local_search_keeps_the_rules_and_never_worsens(inst, seed):
    first = solve(
        inst.model_copy(
            update={
                "options": inst.options.model_copy(
                    update={"stages": ["weight"], "break_fairness": None}
                )
            }
        )
    )
    if first.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return
    b = built(inst)
    assert applies(b)
    index = {r.id: k for k, r in enumerate(inst.requests)}
    start = {index[a.request]: a.slot for a in first.assignments}
    d = inst.options.break_fairness
    placed, breaks = improve(b, start, 0.05, d, random.Random(seed))
    if breaks < 0:  # never within the fairness limit: the start comes back
        assert placed == start
        return
    assert set(placed) == set(start)
    assert_keeps_hard_rules(b, placed)
    counts = breaks_of(b, placed)
    assert breaks == sum(counts.values())
    if d is not None:
        assert max(counts.values()) <= d
        if max(breaks_of(b, start).values()) <= d:
            assert breaks <= sum(breaks_of(b, start).values())


def test_local_search_closes_a_gap():
    # A meets B, C and D; a start with A at slots 0, 3 and 6 has two breaks; sliding the
    # meetings together leaves none
    inst = make(
        [req(f"a{p}", "A", p, mandatory=True) for p in "BCD"],
        slots=[7],
        rooms=1,
        stages=["breaks"],
        time_limit_s=5.0,
    )
    b = built(inst)
    placed, breaks = improve(b, {0: 0, 1: 3, 2: 6}, 1.0, None, random.Random(0))
    assert breaks == 0
    assert sorted(placed.values()) == list(range(min(placed.values()), min(placed.values()) + 3))


def test_local_search_respects_nested_room_classes():
    # R0 is reserved for A: meetings without A fit only R1, so one of them per slot
    inst = make(
        [
            req("bc", "B", "C", mandatory=True),
            req("de", "D", "E", mandatory=True),
            req("fg", "F", "G", mandatory=True),
            req("ab", "A", "B", mandatory=True),
        ],
        slots=[4],
        rooms=[Room(id="R0", reserved_for="A"), Room(id="R1")],
        stages=["breaks"],
        time_limit_s=5.0,
    )
    b = built(inst)
    assert applies(b) and len(b.prep.room_chain) == 2
    for seed in range(5):
        placed, _ = improve(b, {0: 1, 1: 2, 2: 3, 3: 0}, 0.05, None, random.Random(seed))
        without_a = [placed[r] for r in (0, 1, 2)]
        assert len(set(without_a)) == 3
        assert_keeps_hard_rules(b, placed)


def test_lns_keeps_a_valid_schedule_and_never_worsens():
    inst = make(
        [
            req(f"m{k}", a, z, mandatory=True)
            for k, (a, z) in enumerate(["AB", "AC", "AD", "BC", "BD", "CE", "DE", "EF", "AF", "BF"])
        ],
        slots=[8],
        rooms=2,
        stages=["breaks"],
        time_limit_s=5.0,
    )
    b = built(inst)
    expr, _ = b.objectives["breaks"]
    b.model.minimize(expr)
    start = solve_once(b.model, b.options, 0.2, None, ("no_lp",), stop_after_first=True)
    assert start.values is not None
    best = lns_improve(Scope(b, b.model), start.values, 0, 1.0)
    assert evaluate(expr, best) <= evaluate(expr, start.values)
    assert_keeps_hard_rules(b, placements(b, best))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_solve_through_the_local_search_path_is_valid_and_optimal(monkeypatch, seed):
    # forcing the wide-gap path (local search with its companion, then plain minimisation
    # or the targets) must still give a valid schedule and, on a tiny instance, the optimum
    monkeypatch.setattr(stage, "TUNING", dataclasses.replace(stage.TUNING, target_gap=-1))
    inst = make(
        [
            req(f"m{k}", a, z, mandatory=True)
            for k, (a, z) in enumerate(["AB", "AC", "AD", "BC", "BE", "CE", "DE"])
        ],
        slots=[3, 3],
        rooms=2,
        stages=["breaks"],
        break_fairness=1,
        time_limit_s=5.0,
        seed=seed,
    )
    sol = solve(inst)
    assert validate(inst, sol).ok
    assert sol.status == Status.OPTIMAL
    assert sol.breaks == sol.stages[-1].bound


def chain_instance():
    """A at slots 0 and 2 and E at 0 and 2 have a break each; neither closes by sliding one
    meeting (the slot between is taken) nor by two meetings of a party exchanging slots (a
    third party is busy): only the chain ac 2->1, cd 1->2, de 2->1 closes both."""
    inst = make(
        [
            req("ab", "A", "B", mandatory=True, pin={"slot": 0}),
            req("ac", "A", "C", mandatory=True),
            req("cd", "C", "D", mandatory=True),
            req("de", "D", "E", mandatory=True),
            req("ef", "E", "F", mandatory=True, pin={"slot": 0}),
        ],
        slots=[3],
        rooms=3,
        stages=["breaks"],
        time_limit_s=5.0,
        workers=2,  # the portfolio's companion needs a second worker
    )
    return inst, {0: 0, 1: 2, 2: 1, 3: 2, 4: 0}


def test_kempe_chain_moves_every_meeting_it_displaces():
    inst, start = chain_instance()
    board = Board.of(built(inst), start)
    assert kempe_chain(board, 1, 1) == {1: 1, 2: 2, 3: 1}
    # de to slot 0 would send ef, pinned to slot 0, over to slot 2
    assert kempe_chain(board, 3, 0) is None


def test_compiled_search_is_not_compiled_again_by_a_solve():
    # compile_kernels (before a solve's clock) must give the search the array types that
    # Board.of gives it: a new type would compile it again, 5-7 s inside the time limit
    local.compile_kernels()
    kernels = (local._anneal, local._start_costs, local._seed)  # called from Python
    before = [len(k.signatures) for k in kernels]
    assert all(before)
    inst, start = chain_instance()
    improve(built(inst), start, 0.2, 1, random.Random(0))
    assert [len(k.signatures) for k in kernels] == before


def test_local_search_closes_breaks_that_need_a_chain():
    inst, start = chain_instance()
    b = built(inst)
    assert sum(breaks_of(b, start).values()) == 2
    for seed in range(3):
        placed, breaks = improve(b, start, 1.0, None, random.Random(seed))
        assert breaks == 0 == sum(breaks_of(b, placed).values())
        assert_keeps_hard_rules(b, placed)


def test_local_search_moves_into_full_slots_by_exchange():
    # one room and every slot taken: a chain alone never fits, so A's break (slots 0 and 2)
    # closes only when de leaves slot 1 for slot 2 as ac comes over
    inst = make(
        [
            req("ab", "A", "B", mandatory=True),
            req("de", "D", "E", mandatory=True),
            req("ac", "A", "C", mandatory=True),
        ],
        slots=[3],
        rooms=1,
        stages=["breaks"],
        time_limit_s=5.0,
    )
    b = built(inst)
    start = {0: 0, 1: 1, 2: 2}
    assert kempe_chain(Board.of(b, start), 2, 1) == {2: 1}  # fits no room by itself
    for seed in range(3):
        placed, breaks = improve(b, start, 1.0, None, random.Random(seed))
        assert breaks == 0 == sum(breaks_of(b, placed).values())
        assert_keeps_hard_rules(b, placed)


def test_companion_refutes_targets_below_the_optimum():
    # A may meet only at slots 0 and 2 (1 is unavailable): one break at least, which the
    # first schedule already has; the companion refutes 0 and stops at the proof
    inst = make(
        [req("ab", "A", "B", mandatory=True), req("ac", "A", "C", mandatory=True)],
        slots=[3],
        rooms=1,
        unavailable={"A": [1]},
        stages=["breaks"],
        time_limit_s=5.0,
    )
    b = built(inst)
    expr, _ = b.objectives["breaks"]
    b.model.minimize(expr)
    start = solve_once(b.model, b.options, 1.0, None, stop_after_first=True)
    assert evaluate(expr, start.values) == 1
    companion = Companion(Scope(b, b.model), 0, start.values, 5.0, 1)
    companion._thread.join(6.0)
    assert not companion._thread.is_alive()
    assert companion.lower == 1 and companion.values is None


def chain_start(b, start):
    """Every variable's value for the placements `start` (CP-SAT completes them)."""
    values = hint_values(b, dict.fromkeys(start.items()))
    check = b.model.clone()
    fix_outside(check, b, values, set())
    return solve_once(check, b.options, 2.0, None).values


def test_companion_finds_a_schedule_at_the_bound():
    inst, start = chain_instance()
    b = built(inst)
    expr, _ = b.objectives["breaks"]
    first = chain_start(b, start)
    assert evaluate(expr, first) == 2
    companion = Companion(Scope(b, b.model), 0, first, 5.0, 1)
    companion._thread.join(6.0)
    assert companion.lower == 0
    assert companion.values is not None and evaluate(expr, companion.values) == 0


def test_companion_without_targets_leaves_the_schedule_to_others():
    # beside a running MaxSAT search (portfolio): the relaxation at most, no target,
    # so the same start that the companion above improves to 0 stays with nothing found
    inst, start = chain_instance()
    b = built(inst)
    expr, _ = b.objectives["breaks"]
    first = chain_start(b, start)
    companion = Companion(Scope(b, b.model), 0, first, 5.0, 1, targets=False)
    companion._thread.join(6.0)
    assert not companion._thread.is_alive()
    assert companion.lower == 0 and companion.values is None


def test_companion_on_every_worker_runs_until_it_finds_the_bound():
    # as the breaks stage searches a chosen set: nothing beside it, the caller waits
    inst, start = chain_instance()
    b = built(inst)
    expr, _ = b.objectives["breaks"]
    first = chain_start(b, start)
    search = Companion(Scope(b, b.model), 0, first, 5.0, 2)
    search.wait()
    assert not search._thread.is_alive()
    assert search.values is not None and evaluate(expr, search.values) == 0


def test_portfolio_ends_at_the_proof_long_before_its_time():
    inst, start = chain_instance()
    b = built(inst)
    expr, _ = b.objectives["breaks"]
    first = chain_start(b, start)
    began = time.perf_counter()
    best, lower = portfolio(Scope(b, b.model), first, 0, True, 20.0)
    assert evaluate(expr, best) == 0 == lower
    assert time.perf_counter() - began < 10.0  # not the 20 s it was given
