"""The local search with CP-SAT beside it (the portfolio), and CP-SAT's part alone (the
companion): the breaks stage's way to walk an incumbent down while proving bounds."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from ..extract import placements
from ..model import evaluate, set_hint
from . import local, relax
from .race import searching, won
from .scope import Scope, checked


def portfolio(
    s: Scope, best: list[int], lower: int, relaxation: bool, seconds: float
) -> tuple[list[int], int]:
    """The local search in this thread and, with two workers or more, CP-SAT on the others
    in another (`Companion`) for `seconds`; each stops the other once the answer is proven,
    and both stop once the MaxSAT search (`s.race`) has. The best schedule and the proven
    bound. With one worker, the local search alone.

    While the MaxSAT search runs, the companion only computes the relaxation bound (when
    `relaxation`) and CP-SAT's other solves take one worker fewer (`Scope.solve`): the
    child process then has a core to itself instead of half of one. On 2 workers the
    worker given up runs only CP-SAT's helpers (see `BreaksTuning.target_subsolvers`), and
    the companion's targets look for what the MaxSAT search looks for, a schedule at the
    bound."""
    expr, race, options = s.expr, s.race, s.options
    targets = not searching(race)
    companion = None
    if options.workers > 1 and (relaxation or targets):
        companion = Companion(
            s, lower, best, seconds, options.workers - 1, relaxation=relaxation, targets=targets
        )

    def stop(breaks: int | None) -> bool:
        if won(race):
            return True
        proven = max(lower, race.bound() if race is not None else 0)
        if companion is None:
            return breaks is not None and breaks <= proven
        if companion.values is not None:
            return True
        return breaks is not None and breaks <= max(proven, companion.lower)

    try:
        found = local_search(s, best, stop, seconds)
    finally:
        if companion is not None:
            companion.stop()
    if race is not None:
        lower = max(lower, race.bound())
    if companion is not None:
        lower = max(lower, companion.lower)
        if companion.values is not None and evaluate(expr, companion.values) < evaluate(
            expr, found
        ):
            found = companion.values
    if s.cb is not None and evaluate(expr, found) < evaluate(expr, best):
        s.cb.report(evaluate(expr, found), lower)
    return found, lower


def local_search(
    s: Scope, best: list[int], stop: Callable[[int | None], bool], seconds: float
) -> list[int]:
    """Simulated annealing on the incumbent's placements (solver/breaks/local.py); its
    schedule, completed and checked by CP-SAT with every start fixed, when it has fewer
    breaks. `stop(breaks)` ends it early (see local.improve)."""
    t0 = time.perf_counter()
    b, expr, tuning = s.b, s.expr, s.tuning
    if seconds <= tuning.check_reserve_s:
        return best
    placed, breaks = local.improve(
        b,
        placements(b, best),
        seconds - tuning.check_reserve_s,
        s.options.break_fairness,
        random.Random(s.options.seed * 7919 + evaluate(expr, best)),  # a new walk each call
        stop,
    )
    if breaks < 0 or breaks >= evaluate(expr, best):
        return best
    values = checked(s, placed, seconds - (time.perf_counter() - t0))
    if values is None or evaluate(expr, values) >= evaluate(expr, best):
        return best
    return values


class Companion:
    """CP-SAT in a thread on `workers` workers: on the other core while the local search
    runs in this thread (CP-SAT releases the GIL while it searches), so that both cores of a
    small machine work, or on every core (then `wait` for it). First the relaxation bound
    (solver/breaks/relax.py, with `relaxation`), then, unless `targets` is off, "breaks <=
    lower" over `s.m` as a feasibility problem, `lower` raised by one on each refutation.
    `lower` is the proven bound so far; `values` a schedule within it, once found (so an
    optimal one)."""

    def __init__(
        self,
        s: Scope,
        lower: int,
        hint: list[int],
        seconds: float,
        workers: int,
        *,
        relaxation: bool = False,
        targets: bool = True,
    ) -> None:
        self.lower = lower
        self.values: list[int] | None = None
        self._s = s
        self._workers = max(1, workers)
        self._stopped = False
        self._solver: cp_model.CpSolver | None = None
        self._deadline = time.perf_counter() + seconds
        args = (hint, relaxation, evaluate(s.expr, hint), targets)
        self._thread = threading.Thread(target=self._run, args=args, daemon=True)
        self._thread.start()

    def _left(self) -> float:
        return self._deadline - time.perf_counter()

    def _new_solver(self) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self._workers
        solver.parameters.random_seed = self._s.options.seed
        solver.parameters.max_time_in_seconds = max(0.05, self._left())
        if self._s.race is not None:
            self._s.race.watch(solver, instead=self._solver)
        self._solver = solver
        return solver

    def _run(self, hint: list[int], relaxation: bool, upper: int, targets: bool) -> None:
        s = self._s
        if relaxation and not self._stopped:
            bound = relax.restricted_breaks_bound(s.b, self._left(), self._new_solver())
            self.lower = max(self.lower, bound or 0)
        if not targets:
            return
        base = s.m.clone()
        base.clear_objective()
        while (
            not self._stopped
            and not won(s.race)
            and self._left() > 0.05
            and self.lower < upper
            and (s.limit is None or self.lower < s.limit)
        ):
            feasibility = base.clone()
            feasibility.add(s.expr <= self.lower)
            set_hint(feasibility, hint)
            solver = self._new_solver()
            subsolvers = s.tuning.target_subsolvers[: solver.parameters.num_workers]
            solver.parameters.subsolvers.extend(subsolvers)
            status = solver.solve(feasibility)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                self.values = list(solver.response_proto.solution)
                return
            if status != cp_model.INFEASIBLE:
                return  # out of time, or stopped
            self.lower += 1

    def wait(self) -> None:
        """Until the search ends: found, refuted up to `s.limit`, or out of time."""
        self._thread.join()

    def stop(self) -> None:
        """Stop the search and wait for the thread."""
        self._stopped = True
        while self._thread.is_alive():
            if self._solver is not None:
                self._solver.stop_search()  # again until it takes: it may not have begun
            self._thread.join(0.01)
