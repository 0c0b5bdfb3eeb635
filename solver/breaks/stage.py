"""The breaks stage's entry point: which searches run, on which model, and how their
outcomes merge."""

from __future__ import annotations

import time

from ..cpsat import Outcome, Progress
from ..model import Built, evaluate, set_hint
from ..models import Status
from . import choice, maxsat, relax
from .portfolio import Companion
from .race import MaxSatRace
from .scope import Scope, checked
from .targets import target_search
from .tuning import TUNING, BreaksTuning


def solve_breaks(
    b: Built,
    seconds: float,
    cb: Progress | None,
    hint: list[int] | None,
    tuning: BreaksTuning | None = None,
) -> Outcome:
    """The breaks stage (min) over b's model, whose objective is set; `hint` is a feasible
    schedule, or None. Where the requests to schedule are still open (solver/breaks/
    choice.py), first a bound over every set of them and a search of one set alone (every
    request of it scheduled, no other: a smaller model), the incumbent's or one that
    forces fewer breaks, for a schedule at that bound; then, unless that reached the bound,
    the search of the whole model from its best schedule."""
    t0 = time.perf_counter()
    tuning = tuning or TUNING
    picked = None
    if hint is not None and choice.applies(b):
        picked = choice.choose(b, hint, tuning.choice_share * seconds, b.options)
    if picked is None:
        return search_breaks(b, seconds, cb, hint, 0, tuning)
    if picked.values is not None and picked.chosen is not None:
        hint = picked.values
        within = b.model.clone()
        choice.fix_requests(within, b, picked.chosen)
        left = seconds - (time.perf_counter() - t0)
        # the bound is usually this set's optimum: CP-SAT on every worker at "breaks <=
        # bound", with all the time (a first run, a walk and target slices would cut it
        # into pieces, each starting CP-SAT's search afresh); no progress events from it:
        # its refutations hold for that set only
        scope = Scope(b, within, tuning=tuning)
        search = Companion(scope, picked.bound, hint, tuning.chosen_share * left, b.options.workers)
        search.wait()
        if search.values is not None:
            hint = search.values
        expr = scope.expr
        if cb is not None:
            cb.report(evaluate(expr, hint), picked.bound)
        if evaluate(expr, hint) <= picked.bound:
            return Outcome(Status.OPTIMAL, hint, picked.bound)
        set_hint(b.model, hint)
    left = seconds - (time.perf_counter() - t0)
    out = search_breaks(b, left, cb, hint, picked.bound, tuning)
    if out.values is None:
        return out
    bound = max(out.bound or 0, picked.bound)
    status = (
        Status.OPTIMAL if evaluate(b.objectives["breaks"][0], out.values) <= bound else out.status
    )
    return Outcome(status, out.values, bound)


def search_breaks(
    b: Built,
    seconds: float,
    cb: Progress | None,
    hint: list[int] | None,
    lower: int,
    tuning: BreaksTuning,
) -> Outcome:
    """Minimise the breaks over b's model, of which `lower` is a proven bound, with the
    MaxSAT search racing beside CP-SAT's where it applies. With break fairness, first with
    min_breaks = 0.

    min_breaks = 0 (every counted party at most d breaks) is a much easier model, and exact
    whenever its best total is below the number n of parties that surely meet: an optimum of
    the full model then has total < n, so a party with no break, so min_breaks = 0 too, and
    the restricted model's bound holds for the full one.
    """
    t0 = time.perf_counter()
    restricted = b.min_breaks is not None and len(b.sure_active) > 0
    race = None
    if maxsat.applies(b) and (restricted or b.min_breaks is None):
        race = MaxSatRace(b, b.options.break_fairness if restricted else None, seconds, lower)
    if restricted:
        r = b.model.clone()
        r.add(r.get_int_var_from_proto_index(b.min_breaks.index) == 0)

        def relaxation_bound(left: float) -> int:
            budget = min(tuning.relax_max_s, tuning.relax_share * left)
            return relax.restricted_breaks_bound(b, budget) or 0

        scope = Scope(b, r, cb, tuning, limit=len(b.sure_active), race=race)
        lower_bound = relaxation_bound if relax.applies(b) else None
        out = target_search(scope, seconds, hint, lower, lower_bound)
        if race is not None:
            out = settle(scope, out)
        if out.values is not None and evaluate(scope.expr, out.values) < len(b.sure_active):
            return out
        if out.values is not None:
            hint = out.values
        left = seconds - (time.perf_counter() - t0)
        if left <= 0.05:
            return Outcome(Status.FEASIBLE if hint else Status.UNKNOWN, hint)
        seconds = left
        race = None  # the race searched the restricted model: the full one is CP-SAT's
    scope = Scope(b, b.model, cb, tuning, race=race)
    out = target_search(scope, seconds, hint, lower)
    return out if race is None else settle(scope, out)


def settle(s: Scope, out: Outcome) -> Outcome:
    """Stop the MaxSAT search racing beside the search `out` came from and merge the two:
    its optimum when proven (checked by CP-SAT over `s.m`), else its bound."""
    race, expr = s.race, s.expr
    assert race is not None
    race.release(s.tuning.release_wait_s)
    if out.status in (Status.INFEASIBLE, Status.MODEL_INVALID):
        return out
    if race.placed is not None:
        values = checked(s, race.placed, 0)
        if values is not None:
            breaks = evaluate(expr, values)
            if s.cb is not None:
                s.cb.report(breaks, breaks)
            return Outcome(Status.OPTIMAL, values, breaks)
    bound = max(out.bound or 0, race.bound())
    if out.values is None:
        return Outcome(out.status, None, bound)
    ub = evaluate(expr, out.values)
    return Outcome(Status.OPTIMAL if ub <= bound else out.status, out.values, min(ub, bound))
