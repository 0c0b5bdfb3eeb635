"""The MaxSAT search raced beside CP-SAT's search of the breaks stage."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ortools.sat.python import cp_model

from ..model import Built
from . import maxsat


class MaxSatRace:
    """The MaxSAT search of the breaks stage (solver/breaks/maxsat.py: CaDiCaL in a child
    process, from `lower`, a proven bound) in a thread beside CP-SAT's search in the
    caller's; the thread waits on the child's pipe. `bound()` is its proven bound so far.
    Once it has proven its optimum (`placed`, request -> start), it stops every CP-SAT solve
    it watches, again until `release` (a solve may begin meanwhile), and the caller's search
    ends at its next look at `placed`."""

    def __init__(self, b: Built, limit: int | None, seconds: float, lower: int) -> None:
        self._search = maxsat.Search(b, limit, seconds, lower)
        self._solvers: list[cp_model.CpSolver] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.placed: dict[int, int] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        placed = self._search.run()
        if placed is None:
            return
        self.placed = placed
        while not self._released.wait(0.01):
            with self._lock:
                for solver in self._solvers:
                    solver.stop_search()

    def bound(self) -> int:
        return self._search.bound

    def alive(self) -> bool:
        return self._thread.is_alive()

    def watch(self, solver: cp_model.CpSolver, instead: cp_model.CpSolver | None = None) -> None:
        """Stop `solver` too once the optimum is proven (and no longer `instead`)."""
        with self._lock:
            if instead in self._solvers:
                self._solvers.remove(instead)
            self._solvers.append(solver)

    @contextmanager
    def watching(self, solver: cp_model.CpSolver) -> Iterator[None]:
        self.watch(solver)
        try:
            yield
        finally:
            with self._lock:
                self._solvers.remove(solver)

    def release(self, wait_s: float) -> None:
        """Stop the MaxSAT search, and stop stopping CP-SAT's. The child is killed at once;
        a search still building its formula (Python) finishes that in its thread and returns
        without a schedule; this waits for it `wait_s` at most."""
        self._search.interrupt()
        self._released.set()
        self._thread.join(wait_s)


def won(race: MaxSatRace | None) -> bool:
    """Whether the MaxSAT search beside this one has proven its optimum."""
    return race is not None and race.placed is not None


def searching(race: MaxSatRace | None) -> bool:
    """Whether the MaxSAT search beside this one is still going."""
    return race is not None and race.placed is None and race.alive()
