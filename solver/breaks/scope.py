"""What one search of the breaks stage works on, and the CP-SAT calls its parts share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..cpsat import Outcome, Progress, solve_once
from ..model import Built, fix_outside, hint_values, set_hint
from ..models import Options
from .race import MaxSatRace, searching
from .tuning import TUNING, BreaksTuning


@dataclass(frozen=True)
class Scope:
    """One search of the breaks stage (min): the built model `b`; the CP-SAT model `m` it
    searches (b's own, a copy restricted by break fairness, or a copy with one set of
    requests fixed), whose objective is b's breaks expression; where to report progress;
    the tuning; `limit`, a target at which the search stops (the caller then falls back
    to another model); and the MaxSAT search racing beside it."""

    b: Built
    m: cp_model.CpModel
    cb: Progress | None = None
    tuning: BreaksTuning = TUNING
    limit: int | None = None
    race: MaxSatRace | None = None

    @property
    def expr(self) -> cp_model.LinearExprT:
        return self.b.objectives["breaks"][0]

    @property
    def options(self) -> Options:
        return self.b.options

    def solve(
        self,
        m: cp_model.CpModel,
        seconds: float,
        cb: Progress | None = None,
        subsolvers: tuple[str, ...] = (),
        *,
        stop_after_first: bool = False,
    ) -> Outcome:
        """One CP-SAT solve of `m` beside the race: while the MaxSAT search runs, its child
        process gets a core of its own (one worker fewer here), and its proven optimum
        stops the solve."""
        race = self.race
        return solve_once(
            m,
            self.options,
            seconds,
            cb,
            subsolvers,
            stop_after_first=stop_after_first,
            workers=max(1, self.options.workers - 1) if searching(race) else None,
            watch=race.watching if race is not None else None,
        )

    def reporter(self, lower: int) -> Callable[[int], None] | None:
        """Reports an improving total found outside CP-SAT's callback, with `lower`."""
        cb = self.cb
        if cb is None:
            return None
        return lambda value: cb.report(value, lower)


def checked(s: Scope, placed: dict[int, int], seconds: float) -> list[int] | None:
    """Placements found outside CP-SAT (request -> start), completed and checked by CP-SAT
    with every start fixed, in `seconds` but at least `check_min_s`: every variable's value,
    or None if they break a rule of `s.m`."""
    b = s.b
    values = hint_values(b, dict.fromkeys(placed.items()))
    check = s.m.clone()
    fix_outside(check, b, values, set())
    set_hint(check, values)
    return solve_once(check, b.options, max(s.tuning.check_min_s, seconds)).values
