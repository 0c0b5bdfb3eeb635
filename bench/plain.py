"""The plain CP-SAT baseline: the solver's own model (solver/model) solved stage by stage, one
CP-SAT call per stage on 2 workers, with none of the product's side engines (no greedy or flow
start, no local search, MaxSAT race, request choice or target search). The first stage starts
without a hint; each later stage gets the previous stage's solution as its hint, and each stage
the time left minus the same reserve for the later stages as solver.solve. What the issue calls
"a plain CP-SAT model of the same allocation"; the product must never be worse at equal time."""

from __future__ import annotations

import time

from solver.cpsat import solve_once
from solver.explain import explain_unscheduled
from solver.extract import count_breaks, extract
from solver.model import (
    add_breaks,
    build,
    complete_values,
    evaluate,
    extend_values,
    fix_objective,
    set_hint,
    weight_is_constant,
)
from solver.models import Instance, Options, ProgressCallback, Solution, StageResult, Status
from solver.prep import prepare
from solver.solve import END_MARGIN_SHARE, RESERVE_SHARE, stage_order


def solve_plain(
    instance: Instance, options: Options | None = None, progress: ProgressCallback | None = None
) -> Solution:
    """Solve `instance` with the plain lexicographic CP-SAT model (see the module docstring)."""
    del progress  # same signature as solver.solve; the baseline reports no progress
    t0 = time.perf_counter()
    options = options or instance.options
    prep = prepare(instance)
    stages = stage_order(instance, options)
    b = build(prep, options, stages)
    total = options.time_limit_s
    values: list[int] | None = None
    results: list[StageResult] = []
    complete = True
    for i, stage in enumerate(stages):
        if stage == "weight" and len(stages) > 1 and weight_is_constant(b):
            continue  # every schedulable request mandatory: the next stage finds a schedule
        if stage == "breaks" and "breaks" not in b.objectives:
            add_breaks(b)
            values = extend_values(b, values) if values is not None else None
        expr, sense = b.objectives[stage]
        b.model.minimize(expr) if sense == "min" else b.model.maximize(expr)
        set_hint(b.model, values)
        left = total - (time.perf_counter() - t0)
        budget = left - RESERVE_SHARE * total * (len(stages) - i - 1) - END_MARGIN_SHARE * total
        start = time.perf_counter()
        out = solve_once(b.model, options, budget)
        wall = time.perf_counter() - start
        if out.values is None:
            results.append(StageResult(name=stage, status=out.status, seconds=wall, sense=sense))
            complete = False
            break
        value = evaluate(expr, out.values)
        fix_objective(b, stage, value)
        results.append(
            StageResult(
                name=stage,
                status=out.status,
                objective=float(value),
                bound=None if out.bound is None else float(out.bound),
                gap=None if out.bound is None else abs(value - out.bound) / max(1.0, abs(value)),
                seconds=wall,
                sense=sense,
            )
        )
        values = complete_values(b, out.values)
    if values is None:
        return Solution(
            instance=instance.name,
            status=Status.UNKNOWN,
            solver="cp-sat-plain",
            stages=results,
            seconds=time.perf_counter() - t0,
        )
    assignments = extract(b, values)
    optimal = complete and all(r.status == Status.OPTIMAL for r in results)
    return Solution(
        instance=instance.name,
        status=Status.OPTIMAL if optimal else Status.FEASIBLE,
        solver="cp-sat-plain",
        assignments=assignments,
        unscheduled=explain_unscheduled(prep, assignments),
        stages=results,
        scheduled_weight=sum(instance.request_by_id[a.request].weight for a in assignments),
        breaks=count_breaks(prep, options, assignments),
        seconds=time.perf_counter() - t0,
    )
