"""Lexicographic solve: one CP-SAT run per objective stage.

Each stage optimises its own objective with every hard rule, the objectives of the
earlier stages being fixed at their proven optimum (or at the best value found, when the
stage ran out of time) by a constraint, and the previous stage's solution given as a
hint (every variable, so the hint is complete and feasible).

The first stage is hinted with the greedy schedule (solver/greedy.py), every auxiliary
variable computed from it (model.hint_values); if CP-SAT then finds nothing in time and
that schedule keeps every rule, it is the answer (status FEASIBLE, the stage UNKNOWN).

Time: stage i may use the time still left minus a reserve of 10 % of the total limit for
each later stage, so a hard first stage cannot starve the others completely and an easy
one hands its unused time on.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from ortools.sat.python import cp_model

from . import choice, lns, local, maxsat, relax
from .explain import explain_unscheduled, static_reason
from .model import (
    PER_MILLE,
    Built,
    add_breaks,
    build,
    complete_values,
    evaluate,
    extend_values,
    fix_objective,
    hint_values,
    least_value,
    set_hint,
    weight_is_constant,
)
from .models import (
    Assignment,
    Instance,
    Options,
    ProgressCallback,
    ProgressEvent,
    Solution,
    StageName,
    StageResult,
    Status,
    Unscheduled,
)
from .prep import Prepared, prepare

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.UNKNOWN,
    cp_model.MODEL_INVALID: Status.MODEL_INVALID,
}
RESERVE_SHARE = 0.10
# kept free at the end: copying a large model into CP-SAT and reading the answer back take
# time its own limit does not count (MUNI size: about 0.5 s; a 1 s target slice there
# takes 1.4 s)
END_MARGIN_SHARE = 0.05
# MUNI-shaped editions (solver/flow.py): share of the time left for the local search
# (solver/local.py) on the flow schedule, which CP-SAT's breaks stage improves far more
# slowly at that size
POLISH_SHARE = 0.8
CORE_SHRINK_MAX = 16


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution; a failing user callback never stops the solve."""

    def __init__(self, stage: StageName, callback: ProgressCallback, per: int = 1) -> None:
        super().__init__()
        self.stage = stage
        self.callback = callback
        self.per = per  # the stage's value is CP-SAT's objective divided by it (_closest_goal)
        self.t0 = time.perf_counter()

    def report(self, objective: float, bound: float) -> None:
        """An improving solution found outside CP-SAT's own callback (target search)."""
        event = ProgressEvent(
            stage=self.stage,
            seconds=time.perf_counter() - self.t0,
            objective=objective,
            bound=bound,
        )
        try:
            self.callback(event)
        except Exception:  # noqa: BLE001 - the user's callback must not kill the solve
            pass

    def on_solution_callback(self) -> None:
        objective, bound = self.objective_value, self.best_objective_bound
        if self.per > 1:
            objective, bound = _ceil_div(objective, self.per), _ceil_div(bound, self.per)
        event = ProgressEvent(
            stage=self.stage, seconds=self.wall_time, objective=objective, bound=bound
        )
        try:
            self.callback(event)
        except Exception:  # noqa: BLE001 - the user's callback must not kill the solve
            pass


def stage_order(inst: Instance, options: Options) -> list[StageName]:
    """The stages to run: the requested (or default) order minus the inapplicable ones."""
    from .model import delegations_for_fairness

    if options.stages is not None:
        order = list(options.stages)
    else:
        order = ["weight", "fairness", "breaks"]
        if options.previous is not None:
            order.insert(
                order.index("breaks") + (0 if options.changes_before_breaks else 1), "changes"
            )
    out: list[StageName] = []
    for stage in order:
        if stage in out:
            continue
        if stage == "fairness" and (
            not options.fairness or len(delegations_for_fairness(inst)) < 2
        ):
            continue
        if stage == "breaks" and options.break_parties == "none":
            continue
        if stage == "changes" and options.previous is None:
            continue
        out.append(stage)
    return out


def _params(options: Options, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    return solver


def solve(
    instance: Instance, options: Options | None = None, progress: ProgressCallback | None = None
) -> Solution:
    """Schedule `instance` with CP-SAT, stage by stage (see the module docstring)."""
    local.compile_kernels()  # once per process, before the clock starts
    t0 = time.perf_counter()
    options = options or instance.options
    prep = prepare(instance)
    stages = stage_order(instance, options)

    impossible = [
        r
        for r, req in enumerate(instance.requests)
        if req.mandatory and (not prep.starts[r] or not prep.rooms[r])
    ]
    if impossible:
        conflicts = [instance.requests[r].id for r in impossible]
        return _infeasible(instance, prep, conflicts, [], t0)

    built = build(prep, options, stages)
    results: list[StageResult] = []
    total = options.time_limit_s
    proven: dict[str, float] = {}  # stages proven optimal without their own solve: objective
    # time spent on a stage before it is proven or solved (a re-plan's _place_missing)
    spent: dict[str, float] = {}
    hint: list[int] | None = None
    best: list[int] | None = None
    first_weight = bool(stages) and stages[0] == "weight"
    if first_weight and options.break_fairness is None and options.previous is None:
        left = total - (time.perf_counter() - t0)
        polish = POLISH_SHARE * left if "breaks" in stages else 0.0
        exact = flow_start(built, polish, options.seed)
        if exact is not None:  # optimal weight schedule and its value (solver/flow.py)
            hint = best = exact[1]
            proven["weight"] = exact[0]
    if best is None:
        # The greedy schedule, completed to every variable when it keeps every rule, is
        # the first stage's hint, and the fallback answer if CP-SAT finds nothing in time.
        values, greedy_ok = greedy_start(built)
        if greedy_ok:  # an infeasible hint misleads the search more than it helps
            hint = best = values
        elif options.previous is not None:
            # except in a re-plan: the earlier plan, kept where it fits, still shows CP-SAT
            # a schedule close to it when the greedy could not place a mandatory request
            hint = values
    if first_weight and options.previous is not None and hint is not None:
        # re-plan: the hint keeps the earlier plan where it still fits; when it reaches the
        # flow's bound on the weight (pair meetings), the weight stage needs no CP-SAT.
        # Short of it, or without a mandatory request, the requests it leaves out (the
        # mandatory ones, without a bound) are placed first by moving only the meetings of
        # their parties (_place_missing)
        from .flow import weight_bound

        weight = built.objectives["weight"][0]
        top = weight_bound(prep)
        short = top is not None and (best is None or evaluate(weight, best) < top)
        if short or best is None:
            start = time.perf_counter()
            placed = _place_missing(built, hint, REPAIR_SHARE * total, options, all_missing=short)
            spent["weight"] = time.perf_counter() - start
            if placed is not None:
                hint = best = placed
        if top is not None and best is not None and evaluate(weight, best) >= top:
            proven["weight"] = top
    # When every schedulable request is mandatory the weight stage has nothing to
    # optimise: it is not solved separately; the next stage finds the schedule.
    skip_weight = len(stages) > 1 and stages[0] == "weight" and weight_is_constant(built)
    for i, stage in enumerate(stages):
        if skip_weight and stage == "weight":
            continue
        if stage == "breaks" and "breaks" not in built.objectives:
            add_breaks(built)
            hint = extend_values(built, hint) if hint is not None else None
            best = extend_values(built, best) if best is not None else None
        if stage not in proven and best is not None and stage in built.objectives:
            expr, sense = built.objectives[stage]
            value = evaluate(expr, best)
            if stage == "fairness" and value >= PER_MILLE:  # every delegation fully served
                proven[stage] = PER_MILLE
            elif sense == "min" and value <= 0:  # no break, or no change, at all
                proven[stage] = 0
            elif stage == "changes" and value <= least_value(built.model, expr) + (
                _forced_new(built, best, built.fixed.get("weight", (None, "max"))[0])
            ):
                # only the changes that the earlier plan's lost slots and the new requests
                # the weight needs force (not looked for in breaks: their least value is
                # never above 0, and at MUNI size computing it takes 0.26 s)
                proven[stage] = value
        if stage in proven and best is not None:
            expr, sense = built.objectives[stage]
            value = round(proven[stage])
            fix_objective(built, stage, value, exact=True)
            if progress is not None:  # the stage's one solution, proven at once
                _Progress(stage, progress).report(value, value)
            if skip_weight and not results:
                w = float(sum(req.weight for req in instance.requests if req.mandatory))
                results.append(
                    StageResult(
                        name="weight",
                        status=Status.OPTIMAL,
                        objective=w,
                        bound=w,
                        gap=0.0,
                        sense="max",
                    )
                )
            results.append(
                StageResult(
                    name=stage,
                    status=Status.OPTIMAL,
                    objective=float(value),
                    bound=float(value),
                    gap=0.0,
                    seconds=spent.get(stage, 0.0),
                    sense=sense,
                )
            )
            continue
        left = total - (time.perf_counter() - t0)
        budget = left - RESERVE_SHARE * total * (len(stages) - i - 1) - END_MARGIN_SHARE * total
        # a re-plan's weight stage looks for the heaviest schedule closest to the earlier
        # plan, in one solve with the changes stage that follows (_closest_goal)
        closest = stage == "weight" and stages[i + 1 : i + 2] == ["changes"]
        result, values, next_proven = _run_stage(
            built,
            stage,
            options,
            budget,
            hint,
            progress,
            hint_is_feasible=best is not None,
            closest=closest,
        )
        if stage in spent:
            result = result.model_copy(update={"seconds": result.seconds + spent[stage]})
        if skip_weight and not results:
            w = float(sum(req.weight for req in instance.requests if req.mandatory))
            found = values is not None
            results.append(
                StageResult(
                    name="weight",
                    status=Status.OPTIMAL if found else result.status,
                    objective=w if found else None,
                    bound=w if found else None,
                    gap=0.0 if found else None,
                    sense="max",
                )
            )
        if values is not None and best is not None and options.previous is not None:
            same = [built.objectives[k][0] for k in ([stage, "changes"] if closest else [stage])]
            if all(evaluate(e, values) == evaluate(e, best) for e in same):
                values = best  # as good for this stage, and closer to the earlier plan
        if next_proven is not None:
            proven[stages[i + 1]] = next_proven
        results.append(result)
        if values is None:
            if result.status == Status.INFEASIBLE and best is None:
                left = total - (time.perf_counter() - t0)
                conflicts = find_conflicts(prep, options, left)
                return _infeasible(instance, prep, conflicts, results, t0)
            break  # no solution in this stage: keep the previous stage's solution, if any
        # CP-SAT leaves the objective variables of later stages at any value their
        # constraints allow (the fairness share at 0, say): recompute them for the next
        # (0.2 s at MUNI size)
        last = i == len(stages) - 1
        hint = best = values if last else complete_values(built, values)

    if best is None:  # neither CP-SAT nor the greedy schedule
        return Solution(
            instance=instance.name,
            status=Status.UNKNOWN,
            stages=results,
            unscheduled=[
                Unscheduled(
                    request=req.id,
                    code="time_limit",
                    reason="no schedule was found within the time limit",
                )
                for req in instance.requests
            ],
            seconds=time.perf_counter() - t0,
        )
    assignments = extract(built, best)
    all_optimal = len(results) == len(stages) and all(r.status == Status.OPTIMAL for r in results)
    sol = Solution(
        instance=instance.name,
        status=Status.OPTIMAL if all_optimal else Status.FEASIBLE,
        assignments=assignments,
        unscheduled=explain_unscheduled(prep, assignments),
        stages=results,
        scheduled_weight=sum(instance.request_by_id[a.request].weight for a in assignments),
        breaks=count_breaks(prep, options, assignments),
        seconds=time.perf_counter() - t0,
    )
    return sol


def _run_stage(
    b: Built,
    stage: StageName,
    options: Options,
    seconds: float,
    hint: list[int] | None,
    progress: ProgressCallback | None,
    hint_is_feasible: bool = False,
    closest: bool = False,
) -> tuple[StageResult, list[int] | None, float | None]:
    """Optimise one stage; on success fix its objective for the stages that follow. With
    `closest` (a re-plan's weight stage), also the changes among the heaviest schedules
    (_closest_goal): the third value is then the changes, when that solve proved them.

    When CP-SAT stops before reporting any solution (e.g. its presolve used the whole
    time) but the hint is feasible, the hint is this stage's solution: FEASIBLE, no bound.
    """
    expr, sense = b.objectives[stage]
    goal, per = _closest_goal(b) if closest else (expr, 1)
    m = b.model
    m.minimize(goal) if sense == "min" else m.maximize(goal)
    set_hint(m, hint)
    cb = _Progress(stage, progress, per) if progress is not None else None
    start = time.perf_counter()
    if stage == "breaks":
        out = _solve_breaks(b, expr, options, seconds, cb, hint if hint_is_feasible else None)
    else:
        out = _solve_once(m, options, seconds, cb)
    status, wall = out.status, time.perf_counter() - start
    next_proven = None
    if per > 1 and out.values is not None:
        if out.bound is not None:
            out.bound = _ceil_div(out.bound, per)
        if status == Status.OPTIMAL:
            next_proven = float(evaluate(b.objectives["changes"][0], out.values))
        elif out.bound == evaluate(expr, out.values):
            status = Status.OPTIMAL  # the weight is proven, if not the changes with it
    if status == Status.UNKNOWN and hint is not None and hint_is_feasible:
        value = evaluate(expr, hint)
        fix_objective(b, stage, value)
        result = StageResult(
            name=stage,
            status=Status.FEASIBLE,
            objective=float(value),
            bound=out.bound,
            seconds=wall,
            sense=sense,
        )
        return result, hint, None
    if status not in (Status.OPTIMAL, Status.FEASIBLE) or out.values is None:
        return StageResult(name=stage, status=status, seconds=wall, sense=sense), None, None
    value = evaluate(expr, out.values)
    obj = float(value)
    bound = float(out.bound) if out.bound is not None else None
    fix_objective(b, stage, value)
    result = StageResult(
        name=stage,
        status=status,
        objective=obj,
        bound=bound,
        gap=None if bound is None else abs(obj - bound) / max(1.0, abs(obj)),
        seconds=wall,
        sense=sense,
    )
    return result, out.values, next_proven


def _closest_goal(b: Built) -> tuple[cp_model.LinearExprT, int]:
    """A re-plan's weight and changes stages as one objective: weight * per - changes,
    maximised, with `per` above any number of changes, so that its optimum is the heaviest
    schedule and, among those, the closest to the earlier plan. Solved as the weight stage
    alone, CP-SAT ends on any heaviest schedule, and when the hint (the greedy re-plan)
    misses a mandatory meeting, that can be one far from the plan (BENCHMARKS.md,
    "Re-planning"). Stage values are CP-SAT's divided by `per`, rounded up."""
    per = len(b.inst.requests) + 1  # each request adds at most one change
    return per * b.objectives["weight"][0] - b.objectives["changes"][0], per


REPAIR_SHARE = 0.2  # of a re-plan's time limit, at most, for _place_missing


def _place_missing(
    b: Built, values: list[int], seconds: float, options: Options, all_missing: bool
) -> list[int] | None:
    """A re-plan's hint (the greedy re-plan) with the requests it leaves out (all, or only
    the mandatory ones) placed by CP-SAT where it can, moving only the meetings of their
    parties, every other meeting where the hint has it: the heaviest such schedule, then
    the closest to the earlier plan; None when it finds none. The whole weight stage, from
    the same hint, can end on a schedule far from the plan (BENCHMARKS.md, "Re-planning":
    a mayor leaving early, 384 of 2,400 meetings moved where 5 suffice)."""
    missing = [
        r
        for r, x in enumerate(b.sched)
        if x is not None and not values[x.index] and (all_missing or b.inst.requests[r].mandatory)
    ]
    if not missing:
        return None
    sub = b.model.clone()
    lns.fix_around(sub, b, values, missing)
    goal, _ = _closest_goal(b) if "changes" in b.objectives else b.objectives["weight"]
    sub.maximize(goal)
    set_hint(sub, values)
    out = _solve_once(sub, options, seconds, None)
    return None if out.values is None else complete_values(b, out.values)


FORCED_NEW_MAX = 20  # new requests looked at by _forced_new (0.05 s each at MUNI size)


def _forced_new(b: Built, values: list[int], weight: int | None) -> int:
    """Of the requests scheduled in `values` that the earlier plan did not hold (each one a
    change), how many every schedule of weight `weight` or more holds: the mandatory ones
    and, with pair meetings, those without which the flow's weight bound falls below
    `weight` (a re-plan's changes stage, the weight fixed: a request added at weight 10
    must be placed)."""
    from .flow import weight_bound

    old = {a.request for a in b.options.previous or []}
    new = [  # (least_value counts a request whose domain holds it already)
        r
        for r, x in enumerate(b.sched)
        if x is not None
        and values[x.index]
        and b.inst.requests[r].id not in old
        and b.model.proto.variables[x.index].domain[0] == 0
    ]
    forced = sum(1 for r in new if b.inst.requests[r].mandatory)
    if weight is None or len(new) > FORCED_NEW_MAX:
        return forced
    for r in new:
        if not b.inst.requests[r].mandatory:
            top = weight_bound(b.prep, without=r)
            forced += top is not None and top < weight
    return forced


def _ceil_div(value: float, per: int) -> int:
    return -(-round(value) // per)


@dataclass
class _Outcome:
    status: Status
    values: list[int] | None = None
    bound: int | None = None  # proven bound on the stage objective


def _solve_once(
    m: cp_model.CpModel,
    options: Options,
    seconds: float,
    cb: _Progress | None,
    subsolvers: tuple[str, ...] = (),
    stop_after_first: bool = False,
    race: _MaxSat | None = None,
) -> _Outcome:
    solver = _params(options, seconds)
    if _searching(race):  # its child process gets a core of its own (see _portfolio)
        solver.parameters.num_workers = max(1, options.workers - 1)
    if subsolvers:
        solver.parameters.subsolvers.extend(subsolvers)
    solver.parameters.stop_after_first_solution = stop_after_first
    with race.watching(solver) if race is not None else nullcontext():
        status = _STATUS[solver.solve(m, cb)]
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        # every objective is integer: drop floating-point noise
        bound = round(solver.best_objective_bound) if m.has_objective() else None
        return _Outcome(status, list(solver.response_proto.solution), bound)
    return _Outcome(status)


# Breaks stage: a short plain minimisation, then a lower-bound-first target search: "total
# <= target" as a pure feasibility problem, raised by one on each infeasibility proof.
# CP-SAT's LP-free search finds schedules at a fixed small target far faster than it
# improves them by minimisation (B2B: forum-13 0 breaks in 0.6 s, against 26-60 after 10 s
# of minimisation). Where the local search applies (one-slot meetings, pooled rooms), the
# first incumbent is walked down by it first, while the relaxation bound is computed on
# the other core; elsewhere a far incumbent is walked down by LNS. A target neither found
# nor refuted raises the bound once (relaxation, if not done yet), then the local search
# (or LNS) improves the incumbent for the rest of the time (B2B: see BENCHMARKS.md).
BREAKS_FIRST_SHARE = 0.15
BREAKS_FIRST_MAX_S = 1.5
TARGET_GAP = 12  # a wider gap after the first step, no local search: LNS first
WIDE_GAP_SHARE = 0.4  # wider: large neighbourhood search over this share of the time left
# full subsolvers in order: on 2 workers CP-SAT runs only the first as a full search (the
# other worker runs its first-solution and interleaved helpers, such as fj, feasibility pump, RINS)
TARGET_SUBSOLVERS = ("no_lp", "max_lp")
FIRST_SUBSOLVERS = ("no_lp", "max_lp")
TARGET_SLICE_SHARE = 0.3  # a target that is neither found nor refuted in its slice: try the next
TARGET_SLICE_MIN_S = 1.0
RELAX_SHARE = 0.35  # of the time left when the relaxation runs, at most RELAX_MAX_S
RELAX_MAX_S = 3.0
CHOICE_SHARE = 0.2  # at most, for choosing the requests (solver/choice.py)
CHOSEN_SHARE = 0.6  # of the time left, for the search of the chosen set alone


def _solve_breaks(
    b: Built,
    expr: cp_model.LinearExprT,
    options: Options,
    seconds: float,
    cb: _Progress | None,
    hint: list[int] | None,
) -> _Outcome:
    """The breaks stage (min). Where the requests to schedule are still open (solver/
    choice.py), first a bound over every set of them and a search of one set alone (every
    request of it scheduled, no other: a smaller model), the incumbent's or one that
    forces fewer breaks, for a schedule at that bound; then, unless that reached the bound,
    the search of the whole model from its best schedule."""
    t0 = time.perf_counter()
    picked = None
    if hint is not None and choice.applies(b):
        picked = choice.choose(b, hint, CHOICE_SHARE * seconds, options)
    if picked is None:
        return _search_breaks(b, expr, options, seconds, cb, hint)
    if picked.values is not None and picked.chosen is not None:
        hint = picked.values
        within = b.model.clone()
        choice.fix_requests(within, b, picked.chosen)
        left = seconds - (time.perf_counter() - t0)
        # the bound is usually this set's optimum (GORE: BENCHMARKS.md): CP-SAT on every
        # worker at "breaks <= bound", with all the time (a first run, a walk and target
        # slices would cut it into pieces, each starting CP-SAT's search afresh); no
        # progress events from it: its refutations hold for that set only
        search = _Companion(
            b, within, expr, picked.bound, hint, False, CHOSEN_SHARE * left, None, options.workers
        )
        search.wait()
        if search.values is not None:
            hint = search.values
        if cb is not None:
            cb.report(evaluate(expr, hint), picked.bound)
        if evaluate(expr, hint) <= picked.bound:
            return _Outcome(Status.OPTIMAL, hint, picked.bound)
        set_hint(b.model, hint)
    left = seconds - (time.perf_counter() - t0)
    out = _search_breaks(b, expr, options, left, cb, hint, picked.bound)
    if out.values is None:
        return out
    bound = max(out.bound or 0, picked.bound)
    status = Status.OPTIMAL if evaluate(expr, out.values) <= bound else out.status
    return _Outcome(status, out.values, bound)


def _search_breaks(
    b: Built,
    expr: cp_model.LinearExprT,
    options: Options,
    seconds: float,
    cb: _Progress | None,
    hint: list[int] | None,
    lower: int = 0,
) -> _Outcome:
    """Minimise the breaks over b's model, of which `lower` is a proven bound. With break
    fairness, first with min_breaks = 0.

    min_breaks = 0 (every counted party at most d breaks) is a much easier model, and exact
    whenever its best total is below the number n of parties that surely meet: an optimum of
    the full model then has total < n, so a party with no break, so min_breaks = 0 too, and
    the restricted model's bound holds for the full one.
    """
    t0 = time.perf_counter()
    restricted = b.min_breaks is not None and len(b.sure_active) > 0
    race = None
    if maxsat.applies(b) and (restricted or b.min_breaks is None):
        race = _MaxSat(b, options.break_fairness if restricted else None, seconds, lower)
    if restricted:
        r = b.model.clone()
        r.add(r.get_int_var_from_proto_index(b.min_breaks.index) == 0)

        def relaxation_bound(left: float) -> int:
            budget = min(RELAX_MAX_S, RELAX_SHARE * left)
            return relax.restricted_breaks_bound(b, budget) or 0

        out = _target_search(
            r,
            expr,
            options,
            seconds,
            cb,
            hint,
            limit=len(b.sure_active),
            built=b,
            lower=lower,
            lower_bound=relaxation_bound if relax.applies(b) else None,
            race=race,
        )
        if race is not None:
            out = race.settle(b, r, expr, out, options, cb)
        if out.values is not None and evaluate(expr, out.values) < len(b.sure_active):
            return out
        if out.values is not None:
            hint = out.values
        left = seconds - (time.perf_counter() - t0)
        if left <= 0.05:
            return _Outcome(Status.FEASIBLE if hint else Status.UNKNOWN, hint)
        seconds = left
    if restricted:  # the race searched the restricted model: the full one is CP-SAT's
        race = None
    out = _target_search(
        b.model, expr, options, seconds, cb, hint, limit=None, built=b, lower=lower, race=race
    )
    return out if race is None else race.settle(b, b.model, expr, out, options, cb)


def _target_search(
    m: cp_model.CpModel,
    expr: cp_model.LinearExprT,
    options: Options,
    seconds: float,
    cb: _Progress | None,
    hint: list[int] | None,
    limit: int | None,
    built: Built,
    lower: int = 0,
    lower_bound: Callable[[float], int] | None = None,
    race: _MaxSat | None = None,
) -> _Outcome:
    """Minimise `expr` over `m` (objective set): a short plain run, then targets from the
    bound up (at least `lower`, a bound known beforehand). With `limit`, stop once the
    target reaches it (the caller falls back).
    `lower_bound(seconds left)`, when given, is a proven bound, computed when a first target
    is neither found nor refuted (the busy-pattern relaxation, solver/relax.py).
    `race`, when given, is the MaxSAT search beside this one: its bound raises the
    target, and this search ends once it has proven its optimum (the caller settles)."""
    t0 = time.perf_counter()
    first = min(BREAKS_FIRST_MAX_S, BREAKS_FIRST_SHARE * seconds)
    subsolvers = FIRST_SUBSOLVERS if limit is not None else ()
    out = _solve_once(m, options, first, cb, subsolvers, race=race)
    if out.status == Status.UNKNOWN and hint is None and not _won(race):
        # nothing yet (large instances: presolve alone takes a good part of the first
        # step): go on until a first schedule, with at most half of the time left
        left = seconds - (time.perf_counter() - t0)
        out = _solve_once(m, options, left / 2, cb, subsolvers, stop_after_first=True, race=race)
    best = out.values if out.values is not None else hint
    if out.status in (Status.OPTIMAL, Status.INFEASIBLE, Status.MODEL_INVALID) or _won(race):
        return out
    ub = evaluate(expr, best) if best is not None else None
    target = lower
    if out.status != Status.UNKNOWN and out.bound is not None:
        target = max(lower, out.bound)
    searchable = local.applies(built)
    if best is not None and ub > target and (searchable or ub - target > TARGET_GAP):
        # above the bound: first walk the incumbent down by local search (one-slot
        # meetings, pooled rooms) or, when far, by large neighbourhood search
        left = seconds - (time.perf_counter() - t0)
        if searchable:
            relaxation = lower_bound is not None and options.workers > 1
            share = LOCAL_SHARE * left
            best, target = _portfolio(
                built, m, expr, best, target, relaxation, share, options, cb, limit, race
            )
            if relaxation:
                lower_bound = None  # computed: not again
        elif limit is not None:
            best = lns.improve(
                built, m, expr, best, target, WIDE_GAP_SHARE * left, options, _reporter(cb, target)
            )
        ub = evaluate(expr, best)
        if limit is None and ub - target > TARGET_GAP and not _won(race):
            # still far, no fairness restriction: plain minimisation for the rest
            set_hint(m, best)
            again = _solve_once(m, options, seconds - (time.perf_counter() - t0), cb, race=race)
            if again.values is None or evaluate(expr, again.values) > ub:
                return _Outcome(Status.FEASIBLE, best, target)
            return again
    base = m.clone()
    base.clear_objective()
    base.clear_hints()
    lo, t = target, target
    while (ub is None or lo < ub) and (limit is None or lo < limit) and not _won(race):
        left = seconds - (time.perf_counter() - t0)
        if left <= 0.05:
            break
        if race is not None and race.bound() > lo:
            lo = t = race.bound()
            continue
        if (ub is not None and t >= ub) or (limit is not None and t >= limit):
            t = lo
        # the last target below the incumbent gets the time left, unless the local search
        # can take over from the slice (it closes the last break more often than CP-SAT)
        last = ub is not None and t == ub - 1 == lo and not searchable
        feasibility = base.clone()
        feasibility.add(expr <= t)
        set_hint(feasibility, best)
        slice_s = left if last else max(TARGET_SLICE_MIN_S, TARGET_SLICE_SHARE * left)
        res = _solve_once(
            feasibility, options, min(left, slice_s), None, TARGET_SUBSOLVERS, race=race
        )
        if res.values is not None:
            best, ub = res.values, evaluate(expr, res.values)
            if cb is not None:
                cb.report(ub, lo)
            t = lo
        elif res.status == Status.INFEASIBLE:
            lo = t = max(lo, t + 1)
        elif lower_bound is not None:
            # neither found nor refuted: first try to raise the bound (once)
            lo = t = max(lo, lower_bound(seconds - (time.perf_counter() - t0)))
            lower_bound = None
        elif best is not None:
            # neither found nor refuted again: local search (or, where it does not apply,
            # large neighbourhood search) from the incumbent for the rest of the time; both
            # stop early on reaching lo
            left = seconds - (time.perf_counter() - t0)
            if left <= 0.05:
                break
            if searchable:
                best, lo = _portfolio(
                    built, m, expr, best, lo, False, left, options, cb, limit, race
                )
            else:
                best = lns.improve(built, m, expr, best, lo, left, options, _reporter(cb, lo))
            ub = evaluate(expr, best)
            t = lo
        else:  # neither found nor refuted: jump halfway to the incumbent
            t += 1 if ub is None else max(1, (ub - t) // 2)
    if best is None:
        return _Outcome(Status.UNKNOWN, None, lo)
    status = Status.OPTIMAL if lo >= ub else Status.FEASIBLE
    return _Outcome(status, best, min(lo, ub))


LOCAL_SHARE = 0.5  # of the time left, for the local search on a far incumbent
CHECK_MIN_S = 0.5  # CP-SAT's check of the local search's schedule (every start fixed)
CHECK_RESERVE_S = 0.15  # kept for it out of the local search's time (MUNI: about 0.1 s)


def _local_search(
    b: Built,
    m: cp_model.CpModel,
    expr: cp_model.LinearExprT,
    best: list[int],
    stop: Callable[[int | None], bool],
    seconds: float,
    options: Options,
) -> list[int]:
    """Simulated annealing on the incumbent's placements (solver/local.py); its schedule,
    completed and checked by CP-SAT with every start fixed, when it has fewer breaks.
    `stop(breaks)` ends it early (see local.improve)."""
    t0 = time.perf_counter()
    if seconds <= CHECK_RESERVE_S:
        return best
    placed, breaks = local.improve(
        b,
        local.placements(b, best),
        seconds - CHECK_RESERVE_S,
        options.break_fairness,
        random.Random(options.seed * 7919 + evaluate(expr, best)),  # a new walk on each call
        stop,
    )
    if breaks < 0 or breaks >= evaluate(expr, best):
        return best
    values = _checked(b, m, placed, options, seconds - (time.perf_counter() - t0))
    if values is None or evaluate(expr, values) >= evaluate(expr, best):
        return best
    return values


def _checked(
    b: Built, m: cp_model.CpModel, placed: dict[int, int], options: Options, seconds: float
) -> list[int] | None:
    """Placements found outside CP-SAT (request -> start), completed and checked by CP-SAT
    with every start fixed: every variable's value, or None if they break a rule of `m`."""
    values = hint_values(b, dict.fromkeys(placed.items()))
    check = m.clone()
    lns.fix_outside(check, b, values, set())
    set_hint(check, values)
    return _solve_once(check, options, max(CHECK_MIN_S, seconds), None).values


def _portfolio(
    b: Built,
    m: cp_model.CpModel,
    expr: cp_model.LinearExprT,
    best: list[int],
    lower: int,
    relaxation: bool,
    seconds: float,
    options: Options,
    cb: _Progress | None,
    limit: int | None,
    race: _MaxSat | None = None,
) -> tuple[list[int], int]:
    """The local search in this thread and, with two workers or more, CP-SAT on the others
    in another (_Companion) for `seconds`; each stops the other once the answer is proven,
    and both stop once the MaxSAT search (`race`) has. The best schedule and the proven
    bound. With one worker, the local search alone.

    While the MaxSAT search runs, the companion only computes the relaxation bound (when
    asked) and CP-SAT's other solves take one worker fewer (_solve_once): its child process
    then has a core to itself instead of half of one. On 2 workers the worker that
    _solve_once gives up ran only CP-SAT's helpers (see TARGET_SUBSOLVERS), and the
    companion's targets looked for what the search looks for, a schedule at the bound.
    B2B at 10 s: forum-14 proven in 6 of 19 runs (1 of 12 before), the other 17 proofs
    27.7-35.5 s together (36.1-40.8 s before); BENCHMARKS.md."""
    targets = not _searching(race)
    companion = None
    if options.workers > 1 and (relaxation or targets):
        companion = _Companion(
            b, m, expr, lower, best, relaxation, seconds, limit, options.workers - 1, race, targets
        )

    def stop(breaks: int | None) -> bool:
        if _won(race):
            return True
        proven = max(lower, race.bound() if race is not None else 0)
        if companion is None:
            return breaks is not None and breaks <= proven
        if companion.values is not None:
            return True
        return breaks is not None and breaks <= max(proven, companion.lower)

    try:
        found = _local_search(b, m, expr, best, stop, seconds, options)
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
    if cb is not None and evaluate(expr, found) < evaluate(expr, best):
        cb.report(evaluate(expr, found), lower)
    return found, lower


class _Companion:
    """CP-SAT in a thread on `workers` workers: on the other core while the local search
    runs in this thread (CP-SAT releases the GIL while it searches), so that both cores of a
    small machine work, or on every core (then `wait` for it). First the relaxation bound
    (solver/relax.py, when asked), then, unless `targets` is off, "breaks <= lower" as a
    feasibility problem, `lower` raised by one on each refutation. `lower` is the proven
    bound so far; `values` a schedule within it, once found (so an optimal one)."""

    def __init__(
        self,
        b: Built,
        m: cp_model.CpModel,
        expr: cp_model.LinearExprT,
        lower: int,
        hint: list[int],
        relaxation: bool,
        seconds: float,
        limit: int | None,
        workers: int,
        race: _MaxSat | None = None,
        targets: bool = True,
    ) -> None:
        self.lower = lower
        self._workers = max(1, workers)
        self._race = race
        self.values: list[int] | None = None
        self._stopped = False
        self._solver: cp_model.CpSolver | None = None
        self._deadline = time.perf_counter() + seconds
        args = (b, m, expr, hint, relaxation, evaluate(expr, hint), limit, targets)
        self._thread = threading.Thread(target=self._run, args=args, daemon=True)
        self._thread.start()

    def _left(self) -> float:
        return self._deadline - time.perf_counter()

    def _new_solver(self, b: Built) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self._workers
        solver.parameters.random_seed = b.options.seed
        solver.parameters.max_time_in_seconds = max(0.05, self._left())
        if self._race is not None:
            self._race.watch(solver, instead=self._solver)
        self._solver = solver
        return solver

    def _run(
        self,
        b: Built,
        m: cp_model.CpModel,
        expr: cp_model.LinearExprT,
        hint: list[int],
        relaxation: bool,
        upper: int,
        limit: int | None,
        targets: bool,
    ) -> None:
        if relaxation and not self._stopped:
            bound = relax.restricted_breaks_bound(b, self._left(), self._new_solver(b))
            self.lower = max(self.lower, bound or 0)
        if not targets:
            return
        base = m.clone()
        base.clear_objective()
        while (
            not self._stopped
            and not _won(self._race)
            and self._left() > 0.05
            and self.lower < upper
            and (limit is None or self.lower < limit)
        ):
            feasibility = base.clone()
            feasibility.add(expr <= self.lower)
            set_hint(feasibility, hint)
            solver = self._new_solver(b)
            solver.parameters.subsolvers.extend(TARGET_SUBSOLVERS[: solver.parameters.num_workers])
            status = solver.solve(feasibility)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                self.values = list(solver.response_proto.solution)
                return
            if status != cp_model.INFEASIBLE:
                return  # out of time, or stopped
            self.lower += 1

    def wait(self) -> None:
        """Until the search ends: found, refuted up to `limit`, or out of time."""
        self._thread.join()

    def stop(self) -> None:
        """Stop the search and wait for the thread."""
        self._stopped = True
        while self._thread.is_alive():
            if self._solver is not None:
                self._solver.stop_search()  # again until it takes: it may not have begun
            self._thread.join(0.01)


RELEASE_WAIT_S = 0.1


class _MaxSat:
    """The MaxSAT search of the breaks stage (solver/maxsat.py: CaDiCaL in a child process,
    from `lower`, a proven bound) in a thread beside CP-SAT's search in this one; the thread
    waits on the child's pipe. `bound()` is its proven bound so far. Once it has proven its
    optimum (`placed`, request -> start), it stops every CP-SAT solve it watches, again
    until `settle` releases it (a solve may begin meanwhile), and the search in this thread
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

    def release(self) -> None:
        """Stop the MaxSAT search, and stop stopping CP-SAT's. The child is killed at once;
        a search still building its formula (Python) finishes that in its thread and returns
        without a schedule; this waits for it RELEASE_WAIT_S at most."""
        self._search.interrupt()
        self._released.set()
        self._thread.join(RELEASE_WAIT_S)

    def settle(
        self,
        b: Built,
        m: cp_model.CpModel,
        expr: cp_model.LinearExprT,
        out: _Outcome,
        options: Options,
        cb: _Progress | None,
    ) -> _Outcome:
        """Stop the MaxSAT search and merge it with CP-SAT's outcome `out` over `m`: its
        optimum when proven (checked by CP-SAT), else its bound."""
        self.release()
        if out.status in (Status.INFEASIBLE, Status.MODEL_INVALID):
            return out
        if self.placed is not None:
            values = _checked(b, m, self.placed, options, 0)
            if values is not None:
                breaks = evaluate(expr, values)
                if cb is not None:
                    cb.report(breaks, breaks)
                return _Outcome(Status.OPTIMAL, values, breaks)
        bound = max(out.bound or 0, self.bound())
        if out.values is None:
            return _Outcome(out.status, None, bound)
        ub = evaluate(expr, out.values)
        return _Outcome(Status.OPTIMAL if ub <= bound else out.status, out.values, min(ub, bound))


def _won(race: _MaxSat | None) -> bool:
    """Whether the MaxSAT search beside this one has proven its optimum."""
    return race is not None and race.placed is not None


def _searching(race: _MaxSat | None) -> bool:
    """Whether the MaxSAT search beside this one is still going."""
    return race is not None and race.placed is None and race.alive()


def _reporter(cb: _Progress | None, lower: int) -> Callable[[int], None] | None:
    """Reports an improving objective found outside CP-SAT's callback, with `lower`."""
    if cb is None:
        return None
    return lambda value: cb.report(value, lower)


def greedy_start(b: Built) -> tuple[list[int], bool]:
    """The greedy schedule as a value for every variable, and whether it keeps every rule.

    The greedy keeps every hard rule except, possibly, mandatory requests it could not
    place and break fairness, which it ignores; those two are checked here.
    """
    from .greedy import place

    chosen = place(b.prep)
    values = hint_values(b, {(r, s): k for r, s, k in chosen})
    placed = {r for r, _, _ in chosen}
    ok = all(r in placed for r, req in enumerate(b.inst.requests) if req.mandatory)
    d = b.options.break_fairness
    if ok and d is not None and len(b.breaks) >= 2:
        counts = {
            p: expr if isinstance(expr, int) else values[expr.index] for p, expr in b.breaks.items()
        }
        active = [counts[p] for p in counts if any(r in placed for r in b.party_requests[p])]
        ok = not active or max(counts.values()) - min(active) <= d
    return values, ok


def flow_start(
    b: Built, polish_seconds: float = 0.0, seed: int = 0
) -> tuple[int, list[int]] | None:
    """The min-cost-flow weight optimum and its schedule as a full hint, when applicable;
    its idle slots and breaks then polished (solver/local.py) until `polish_seconds` after
    the call (the flow itself included: about 1.3 s at MUNI size)."""
    from .flow import flow_schedule

    t0 = time.perf_counter()
    res = flow_schedule(b.prep)
    if res is None:
        return None
    weight, placed = res
    slots: dict[tuple[str, int], int] = {}
    per_slot: dict[int, int] = {}
    for r, s in placed:
        if s not in b.y[r]:
            return None
        for p in b.inst.requests[r].parties:
            if (p, s) in slots:
                return None
            slots[p, s] = r
        per_slot[s] = per_slot.get(s, 0) + 1
    if any(c > len(b.inst.rooms) for c in per_slot.values()):
        return None
    start = dict(placed)
    polish_seconds -= time.perf_counter() - t0
    if polish_seconds > 0 and local.applies(b):
        start, _ = local.improve(b, start, polish_seconds, None, random.Random(seed))
    return weight, hint_values(b, dict.fromkeys(start.items()))


def extract(b: Built, values: list[int]) -> list[Assignment]:
    """Assignments from a solution vector; pooled rooms are assigned by start time."""
    inst = b.inst
    grid = inst.grid
    chosen: list[tuple[int, int, int | None]] = []  # (request, start, room)
    for r, ys in enumerate(b.y):
        for s, y in ys.items():
            if values[y.index]:
                room = None
                if not b.prep.pooled:
                    room = next(k for k in b.prep.rooms[r] if values[b.x[r, s, k].index])
                chosen.append((r, s, room))
                break
    if b.prep.pooled:
        chosen = assign_pooled_rooms(b.prep, chosen)
    return [
        Assignment(
            request=inst.requests[r].id,
            slot=s,
            room=inst.rooms[k].id,
            day=grid.slot_info[s].day,
        )
        for r, s, k in sorted(chosen, key=lambda c: (c[1], c[0]))
    ]


def assign_pooled_rooms(
    prep: Prepared, chosen: list[tuple[int, int, int | None]]
) -> list[tuple[int, int, int]]:
    """Rooms by start time, most restricted meetings first (see prep.room_chain).

    A re-planned meeting that keeps its slot gets its old room back unless a more
    restricted meeting in that slot needs it; the others take such rooms last.
    """
    inst = prep.inst
    prev = {a.request: a for a in inst.options.previous or []}
    room_index = {room.id: k for k, room in enumerate(inst.rooms)}
    free_at = [0] * len(inst.rooms)  # first slot at which the room is free again
    out: list[tuple[int, int, int]] = []

    def old_room(r: int, s: int) -> int | None:
        a = prev.get(inst.requests[r].id)
        if a is None or a.slot != s or room_index[a.room] not in prep.rooms[r]:
            return None
        return room_index[a.room]

    order = sorted(
        chosen, key=lambda c: (c[1], prep.room_class[c[0]], old_room(c[0], c[1]) is None, c[0])
    )
    # (slot, room) that a meeting keeping its slot would like back: others take them last
    wanted = {(s, k) for r, s, _ in chosen if (k := old_room(r, s)) is not None}
    for r, s, _ in order:
        k = old_room(r, s)
        if k is None or free_at[k] > s:
            free = [k for k in prep.rooms[r] if free_at[k] <= s]
            k = next((k for k in free if (s, k) not in wanted), free[0])
        free_at[k] = s + inst.requests[r].duration
        out.append((r, s, k))
    return out


def count_breaks(prep: Prepared, options: Options, assignments: list[Assignment]) -> int:
    """Total breaks of the counted parties (same definition as the model)."""
    from .model import counted_parties

    counted = set(counted_parties(prep.inst, options.break_parties))
    busy: dict[str, set[int]] = {p: set() for p in counted}
    for a in assignments:
        req = prep.inst.request_by_id[a.request]
        for p in req.parties:
            if p in counted:
                busy[p].update(range(a.slot, a.slot + req.duration))
    total = 0
    for slots in busy.values():
        for seg in prep.segments(options.breaks_span_blocks):
            runs = sum(1 for t in seg if t in slots and (t == seg.start or t - 1 not in slots))
            total += max(0, runs - 1)
    return total


def find_conflicts(prep: Prepared, options: Options, seconds: float) -> list[str]:
    """A small set of mandatory requests that cannot all be scheduled together.

    CP-SAT's sufficient assumptions (an unsatisfiable core over one literal per mandatory
    request), then shrunk by deletion when it is small.
    """
    inst = prep.inst
    seconds = max(1.0, seconds)
    b = build(prep, options, [], assume_mandatory=True)
    solver = _params(options, seconds / 2)
    solver.parameters.num_workers = 1
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
            s = _params(options, per_try)
            s.parameters.num_workers = 1
            if s.solve(b.model) == cp_model.INFEASIBLE:
                core = trial
    return [inst.requests[r].id for r in sorted(core)]


def _infeasible(
    instance: Instance,
    prep: Prepared,
    conflicts: list[str],
    stages: list[StageResult],
    t0: float,
) -> Solution:
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
