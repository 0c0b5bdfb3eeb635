"""When the mandatory requests cannot all be scheduled: a small conflicting set of them, and
the solution that says so."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from .cpsat import params
from .explain import static_reason
from .model import build
from .models import Instance, Options, Solution, StageResult, Status, Unscheduled
from .prep import Prepared

CORE_SHRINK_MAX = 16  # a larger core is reported as CP-SAT gives it, not shrunk


def find_conflicts(prep: Prepared, options: Options, seconds: float) -> list[str]:
    """A small set of mandatory requests that cannot all be scheduled together.

    CP-SAT's sufficient assumptions (an unsatisfiable core over one literal per mandatory
    request), then shrunk by deletion when it is small.
    """
    inst = prep.inst
    seconds = max(1.0, seconds)
    b = build(prep, options, [], assume_mandatory=True)
    solver = params(options, seconds / 2, workers=1)
    if solver.solve(b.model) != cp_model.INFEASIBLE:
        return []
    by_index = {lit.index: r for r, lit in b.mandatory_lits.items()}
    core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]
    if not core:
        core = list(b.mandatory_lits)
    if len(core) <= CORE_SHRINK_MAX:
        per_try = seconds / 2 / max(1, len(core))
        for r in list(core):
            trial = [q for q in core if q != r]
            b.model.clear_assumptions()
            b.model.add_assumptions([b.mandatory_lits[q] for q in trial])
            if params(options, per_try, workers=1).solve(b.model) == cp_model.INFEASIBLE:
                core = trial
    return [inst.requests[r].id for r in sorted(core)]


def infeasible(
    instance: Instance,
    prep: Prepared,
    conflicts: list[str],
    stages: list[StageResult],
    t0: float,
) -> Solution:
    """The INFEASIBLE solution: every request unscheduled, with its reason."""
    in_core = set(conflicts)
    unscheduled = []
    for r, req in enumerate(instance.requests):
        static = static_reason(prep, r)
        if static is not None:
            code, reason = static
        elif req.id in in_core:
            others = ", ".join(c for c in conflicts if c != req.id) or "the hard rules"
            code = "mandatory_conflict"
            reason = f"mandatory, but cannot be scheduled together with {others}"
        else:
            code = "infeasible"
            reason = "no schedule exists: mandatory requests " + ", ".join(conflicts) + " conflict"
        unscheduled.append(Unscheduled(request=req.id, code=code, reason=reason))
    return Solution(
        instance=instance.name,
        status=Status.INFEASIBLE,
        unscheduled=unscheduled,
        stages=stages,
        conflicts=conflicts,
        seconds=time.perf_counter() - t0,
    )
