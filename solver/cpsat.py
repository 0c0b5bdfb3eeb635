"""Running CP-SAT: its parameters, one solve and its outcome, and progress reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .models import Options, ProgressCallback, ProgressEvent, StageName, Status

STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.UNKNOWN,
    cp_model.MODEL_INVALID: Status.MODEL_INVALID,
}

Watch = Callable[[cp_model.CpSolver], AbstractContextManager[None]]


@dataclass
class Outcome:
    """What one search found: its status, a value for every variable, a proven bound."""

    status: Status
    values: list[int] | None = None
    bound: int | None = None  # proven bound on the stage objective


def ceil_div(value: float, per: int) -> int:
    return -(-round(value) // per)


class Progress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution; a failing user callback never stops the solve."""

    def __init__(self, stage: StageName, callback: ProgressCallback, per: int = 1) -> None:
        super().__init__()
        self.stage = stage
        self.callback = callback
        self.per = per  # the stage's value is CP-SAT's objective divided by it (closest_goal)
        self.t0 = time.perf_counter()

    def report(self, objective: float, bound: float) -> None:
        """An improving solution found outside CP-SAT's own callback (target search)."""
        self._send(time.perf_counter() - self.t0, objective, bound)

    def on_solution_callback(self) -> None:
        objective, bound = self.objective_value, self.best_objective_bound
        if self.per > 1:
            objective, bound = ceil_div(objective, self.per), ceil_div(bound, self.per)
        self._send(self.wall_time, objective, bound)

    def _send(self, seconds: float, objective: float, bound: float) -> None:
        event = ProgressEvent(stage=self.stage, seconds=seconds, objective=objective, bound=bound)
        try:
            self.callback(event)
        except Exception:  # noqa: BLE001 - the user's callback must not kill the solve
            pass


def params(options: Options, seconds: float, workers: int | None = None) -> cp_model.CpSolver:
    """A CP-SAT solver with the options' workers (or `workers`), seed and `seconds`."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = options.workers if workers is None else workers
    solver.parameters.random_seed = options.seed
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    return solver


def solve_once(
    m: cp_model.CpModel,
    options: Options,
    seconds: float,
    cb: Progress | None = None,
    subsolvers: tuple[str, ...] = (),
    *,
    stop_after_first: bool = False,
    workers: int | None = None,
    watch: Watch | None = None,
) -> Outcome:
    """Solve `m` once. `watch(solver)`, when given, is held while it runs (another thread
    may then stop the solver)."""
    solver = params(options, seconds, workers)
    if subsolvers:
        solver.parameters.subsolvers.extend(subsolvers)
    solver.parameters.stop_after_first_solution = stop_after_first
    with watch(solver) if watch is not None else nullcontext():
        status = STATUS[solver.solve(m, cb)]
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        # every objective is integer: drop floating-point noise
        bound = round(solver.best_objective_bound) if m.has_objective() else None
        return Outcome(status, list(solver.response_proto.solution), bound)
    return Outcome(status)
