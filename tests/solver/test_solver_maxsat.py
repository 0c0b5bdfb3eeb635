"""The breaks stage as MaxSAT (solver/breaks/maxsat.py, CaDiCaL in a child process): its optimum is
CP-SAT's, its schedules keep every hard rule, and the solve races it against CP-SAT's search."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model
from solver_kit import make, req
from test_solver_search import assert_keeps_hard_rules, breaks_of, built

from solver import Room, Status, solve, validate
from solver.breaks import maxsat, stage
from solver.breaks.race import MaxSatRace
from solver.cpsat import Outcome

SECONDS = 30.0  # the child's CPU limit


def cpsat_optimum(b, limit: int | None) -> int | None:
    """The least total breaks by CP-SAT, every request scheduled, each counted party at
    most `limit` (min_breaks = 0, as breaks.search_breaks restricts it); None if none."""
    m = b.model.clone()
    if b.min_breaks is not None:
        m.add(m.get_int_var_from_proto_index(b.min_breaks.index) == 0)
    m.minimize(sum(b.breaks.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20.0
    status = solver.solve(m)
    assert status in (cp_model.OPTIMAL, cp_model.INFEASIBLE), "the check itself must finish"
    return round(solver.objective_value) if status == cp_model.OPTIMAL else None


@st.composite
def fixed_sets(draw):
    """Mandatory meetings of one slot (pairs, perhaps one of three), one or two blocks (a
    lunch break counts or not), unavailable slots, one room or two (one of them reserved),
    fairness or none, up to two precedences."""
    blocks = draw(st.lists(st.integers(2, 5), min_size=1, max_size=2))
    n_slots = sum(blocks)
    parties = [f"P{i}" for i in range(draw(st.integers(3, 6)))]
    pairs = [(a, z) for i, a in enumerate(parties) for z in parties[i + 1 :]]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=8, unique=True))
    if draw(st.booleans()):  # a meeting of three parties (the formula allows it)
        third = next((p for p in parties if p not in chosen[-1]), None)
        chosen[-1] = (*chosen[-1], third)
    unavailable = {
        p: draw(st.lists(st.integers(0, n_slots - 1), max_size=2, unique=True)) for p in parties
    }
    reserved = draw(st.booleans())
    rooms = [Room(id="R0", reserved_for=chosen[0][0] if reserved else None), Room(id="R1")]
    # precedences, perhaps between meetings of a common party: (later, earlier)
    order = draw(
        st.lists(
            st.tuples(st.integers(0, len(chosen) - 1), st.integers(0, len(chosen) - 1)).filter(
                lambda pair: pair[0] != pair[1]
            ),
            max_size=2,
            unique=True,
        )
    )
    return make(
        [
            req(
                f"r{k}",
                *who,
                mandatory=True,
                after=[f"r{j}" for later, j in order if later == k],
            )
            for k, who in enumerate(chosen)
        ],
        slots=blocks,
        rooms=rooms[: draw(st.integers(1, 2))],
        unavailable=unavailable,
        stages=["breaks"],
        break_fairness=draw(st.sampled_from([None, 0, 1])),
        breaks_span_blocks=draw(st.booleans()),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fixed_sets())
def test_maxsat_optimum_is_cpsat_optimum(inst):
    b = built(inst)
    assert maxsat.applies(b) == all(len(r.parties) == 2 for r in inst.requests)
    limit = inst.options.break_fairness
    search = maxsat.Search(b, limit, SECONDS)
    placed = search.run()
    expected = cpsat_optimum(b, limit)
    if expected is None:
        assert placed is None
        return
    assert placed is not None and set(placed) == set(range(len(inst.requests)))
    assert_keeps_hard_rules(b, placed)
    counts = breaks_of(b, placed) if inst.options.breaks_span_blocks else None
    if counts is not None:
        assert sum(counts.values()) == expected
        assert limit is None or max(counts.values(), default=0) <= limit
    assert search.bound == expected


def test_a_forced_gap_is_one_break_and_a_limit_of_zero_has_no_schedule():
    # A meets B (free only at slot 0) and C (free only at slot 2): A idles at slot 1
    inst = make(
        [req("ab", "A", "B", mandatory=True), req("ac", "A", "C", mandatory=True)],
        slots=[4],
        unavailable={"B": [1, 2, 3], "C": [0, 1, 3]},
        stages=["breaks"],
    )
    b = built(inst)
    search = maxsat.Search(b, None, SECONDS)
    assert search.run() == {0: 0, 1: 2}
    assert search.bound == 1
    assert maxsat.Search(b, 0, SECONDS).run() is None  # no party may break: nothing fits


def test_one_room_keeps_two_meetings_apart():
    inst = make(
        [req("ab", "A", "B", mandatory=True), req("cd", "C", "D", mandatory=True)],
        slots=[2],
        rooms=1,
        stages=["breaks"],
    )
    placed = maxsat.Search(built(inst), None, SECONDS).run()
    assert placed is not None and sorted(placed.values()) == [0, 1]


def a_meets_b_and_c():
    """The built breaks stage of two mandatory meetings of A on four slots."""
    return built(
        make(
            [req("ab", "A", "B", mandatory=True), req("ac", "A", "C", mandatory=True)],
            slots=[4],
            stages=["breaks"],
        )
    )


def test_an_interrupted_search_returns_nothing_and_keeps_bound_zero():
    search = maxsat.Search(a_meets_b_and_c(), None, SECONDS)
    search.interrupt()
    assert search.run() is None
    assert search.bound == 0


def test_optional_requests_leave_it_to_cpsat():
    inst = make(
        [req("ab", "A", "B", mandatory=True), req("ac", "A", "C")],
        slots=[4],
        stages=["breaks"],
    )
    assert not maxsat.applies(built(inst))


def test_the_solve_takes_the_maxsat_optimum(monkeypatch):
    # A meets B, C, D and E, each free at one slot only, with gaps between: three breaks
    # are certain. CP-SAT's search is replaced by one that finds nothing: the answer is
    # the MaxSAT search's, completed and checked by CP-SAT.
    free = {"B": 0, "C": 2, "D": 4, "E": 6}
    inst = make(
        [req(f"a{p}", "A", p, mandatory=True) for p in free],
        slots=[7],
        unavailable={p: [t for t in range(7) if t != s] for p, s in free.items()},
        stages=["breaks"],
        break_fairness=3,
        workers=2,
    )

    def finds_nothing(scope, *args, **kwargs):
        deadline = time.perf_counter() + 10.0
        while scope.race.placed is None and time.perf_counter() < deadline:
            time.sleep(0.01)
        return Outcome(Status.UNKNOWN)

    monkeypatch.setattr(stage, "target_search", finds_nothing)
    sol = solve(inst)
    assert sol.status == Status.OPTIMAL and sol.breaks == 3 and validate(inst, sol).ok


class _Quiet(cp_model.CpSolverSolutionCallback):
    def on_solution_callback(self) -> None:
        pass


def test_a_proven_maxsat_optimum_stops_the_cpsat_solves_it_watches():
    race = MaxSatRace(a_meets_b_and_c(), None, SECONDS, 0)
    endless = cp_model.CpModel()  # a billion solutions to enumerate
    endless.new_int_var(0, 10**9, "x")
    solver = cp_model.CpSolver()
    solver.parameters.enumerate_all_solutions = True
    solver.parameters.max_time_in_seconds = 60.0
    t0 = time.perf_counter()
    with race.watching(solver):
        solver.solve(endless, _Quiet())
    took = time.perf_counter() - t0
    race.release(0.1)
    assert took < 30.0
    assert race.placed is not None and race.bound() == 0


def test_meetings_of_three_parties_leave_it_to_cpsat():
    inst = make(
        [req("abc", "A", "B", "C", mandatory=True), req("ad", "A", "D", mandatory=True)],
        slots=[4],
        rooms=2,
        stages=["breaks"],
    )
    assert not maxsat.applies(built(inst))


def test_seven_meetings_for_five_slots_of_one_room_have_no_schedule():
    # the hard clauses alone are unsatisfiable: every total is refuted and no schedule comes
    # back (this crashed the core trimming of RC2, the core-guided search used before)
    pairs = ["P0 P1", "P2 P3", "P0 P4", "P0 P2", "P3 P4", "P1 P2", "P1 P3"]
    inst = make(
        [req(f"r{k}", *pair.split(), mandatory=True) for k, pair in enumerate(pairs)],
        slots=[5],
        unavailable={"P2": [0, 3], "P3": [2], "P4": [0]},
        stages=["breaks"],
    )
    assert maxsat.Search(built(inst), None, SECONDS).run() is None
