"""Lexicographic solve: one CP-SAT run per objective stage.

Each stage optimises its own objective with every hard rule, the objectives of the
earlier stages being fixed at their proven optimum (or at the best value found, when the
stage ran out of time) by a constraint, and the previous stage's solution given as a
hint (every variable, so the hint is complete and feasible).

The first stage starts from the greedy schedule or, where it applies, the min-cost flow's
(solver/starts.py); a re-plan's start is repaired first (solver/replan.py). If CP-SAT then
finds nothing in time and that schedule keeps every rule, it is the answer (status
FEASIBLE, the stage UNKNOWN). A stage whose optimum the schedule in hand already reaches
(no break, every delegation fully served, ...) is proven without a solve of its own. The
breaks stage has its own searches (solver/breaks).

Time: stage i may use the time still left minus a reserve of 10 % of the total limit for
each later stage, so a hard first stage cannot starve the others completely and an easy
one hands its unused time on.

Every solution passes the independent validator (solver/validate.py) before it is
returned: a schedule that breaks a rule raises `InvalidSchedule` instead.
"""

from __future__ import annotations

import time

from . import allocation
from .breaks import local, solve_breaks
from .conflicts import find_conflicts, infeasible
from .cpsat import Progress, ceil_div, solve_once
from .explain import explain_unscheduled
from .extract import count_breaks, extract
from .model import (
    PER_MILLE,
    Built,
    add_breaks,
    build,
    complete_values,
    delegations_for_fairness,
    evaluate,
    extend_values,
    fix_objective,
    least_value,
    set_hint,
    weight_is_constant,
)
from .models import (
    REPLAN_STAGES,
    Instance,
    Options,
    ProgressCallback,
    Solution,
    StageName,
    StageResult,
    Status,
    Unscheduled,
)
from .prep import prepare
from .replan import REPAIR_SHARE, closest_goal, forced_new, repair_start
from .starts import flow_start, greedy_start
from .validate import InvalidSchedule, validate

RESERVE_SHARE = 0.10
# kept free at the end: copying a large model into CP-SAT and reading the answer back take
# time its own limit does not count
END_MARGIN_SHARE = 0.05
# editions where the flow applies (solver/flow.py): share of the time left for the local
# search on the flow's schedule, which CP-SAT's breaks stage improves far more slowly at
# that size
POLISH_SHARE = 0.8
# share of the weight stage's time that the allocation start (solver/allocation.py) may use
# before CP-SAT's search of the whole model takes over
ALLOCATION_SHARE = 0.5


def stage_order(inst: Instance, options: Options) -> list[StageName]:
    """The stages to run: the requested (or default) order minus the inapplicable ones."""
    if options.stages is not None:
        order = list(options.stages)
    elif options.keeps_previous:
        order = list(REPLAN_STAGES)
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
        if stage == "keep" and not options.kept():
            continue
        out.append(stage)
    return out


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
        req.id
        for r, req in enumerate(instance.requests)
        if req.mandatory and (not prep.starts[r] or not prep.rooms[r])
    ]
    if impossible:
        solution = infeasible(instance, prep, impossible, [], t0)
    else:
        solution = _Run(build(prep, options, stages), stages, progress, t0).solve()
    report = validate(instance, solution, options)
    if not report.ok:
        raise InvalidSchedule(report.violations)
    return solution


class _Run:
    """One solve, stage by stage: the schedule in hand (`best`, which keeps every rule),
    the hint for the next stage, and each stage's result."""

    def __init__(
        self, b: Built, stages: list[StageName], progress: ProgressCallback | None, t0: float
    ) -> None:
        self.b = b
        self.stages = stages
        self.progress = progress
        self.t0 = t0
        self.options = b.options
        self.total = b.options.time_limit_s
        self.results: list[StageResult] = []
        self.proven: dict[str, float] = {}  # stages proven without their own solve: objective
        # time spent on a stage before it is proven or solved (a re-plan's repair)
        self.spent: dict[str, float] = {}
        self.hint: list[int] | None = None
        self.best: list[int] | None = None
        # the allocation relaxation's proven bound on the weight (solver/allocation.py)
        self.weight_bound: int | None = None
        # every schedulable request mandatory: the weight stage has nothing to optimise and
        # is not solved separately; the next stage finds the schedule
        self.skip_weight = len(stages) > 1 and stages[0] == "weight" and weight_is_constant(b)

    def left(self) -> float:
        return self.total - (time.perf_counter() - self.t0)

    def solve(self) -> Solution:
        self.start()
        for i, stage in enumerate(self.stages):
            if self.skip_weight and stage == "weight":
                continue
            if stage == "breaks" and "breaks" not in self.b.objectives:
                add_breaks(self.b)
                self.hint = extend_values(self.b, self.hint) if self.hint is not None else None
                self.best = extend_values(self.b, self.best) if self.best is not None else None
            if self.proven_without_solve(stage):
                continue
            outcome = self.solve_stage(i, stage)
            if outcome is not None:
                return outcome
        return self.solution()

    def start(self) -> None:
        """The first stage's start: the flow's schedule where it applies, else the
        greedy's; a re-plan's repaired (solver/replan.py)."""
        b, options, stages = self.b, self.options, self.stages
        first_weight = bool(stages) and stages[0] == "weight"
        if first_weight:
            polish = POLISH_SHARE * self.left() if "breaks" in stages else 0.0
            exact = flow_start(b, polish, options.seed)
            if exact is not None:  # optimal weight schedule and its value (solver/flow.py)
                self.hint = self.best = exact[1]
                self.proven["weight"] = exact[0]
            elif not self.skip_weight and allocation.applies(b):
                self.allocate()
        if self.best is None:
            # The greedy schedule, completed to every variable when it keeps every rule, is
            # the first stage's hint, and the fallback answer if CP-SAT finds nothing in time.
            values, greedy_ok = greedy_start(b)
            if greedy_ok:  # an infeasible hint misleads the search more than it helps
                self.hint = self.best = values
            elif options.previous is not None:
                # except in a re-plan: the earlier plan, kept where it fits, still shows
                # CP-SAT a schedule close to it when the greedy could not place a mandatory
                # request
                self.hint = values
        if first_weight and options.previous is not None and self.hint is not None:
            repair = repair_start(b, self.hint, self.best, REPAIR_SHARE * self.total, options)
            self.hint, self.best = repair.hint, repair.best
            self.spent.update(repair.spent)
            if repair.weight is not None:
                self.proven["weight"] = repair.weight

    def allocate(self) -> None:
        """The weight stage by allocation first (solver/allocation.py): its schedule, when
        it has one, is proven optimal; its bound otherwise joins the model."""
        b, t = self.b, time.perf_counter()
        expr, _ = b.objectives["weight"]
        budget = self.left() - (RESERVE_SHARE * (len(self.stages) - 1) + END_MARGIN_SHARE) * (
            self.total
        )
        alloc, values = allocation.allocation_start(b, ALLOCATION_SHARE * budget)
        self.spent["weight"] = time.perf_counter() - t
        if alloc is None:
            return
        self.weight_bound = alloc.bound
        if values is not None and evaluate(expr, values) == alloc.bound:
            self.hint = self.best = values
            self.proven["weight"] = alloc.bound
        else:  # a proven bound: a redundant constraint that CP-SAT's search starts from
            b.model.add(expr <= alloc.bound).with_name("allocation_bound")

    def proven_without_solve(self, stage: StageName) -> bool:
        """Whether the schedule in hand proves `stage` optimal: then its objective is fixed
        at its value and its result recorded, with no solve."""
        b, best = self.b, self.best
        if best is None or stage not in b.objectives:
            return False
        if stage not in self.proven:
            expr, sense = b.objectives[stage]
            value = evaluate(expr, best)
            if stage == "fairness" and value >= PER_MILLE:  # every delegation fully served
                self.proven[stage] = PER_MILLE
            elif sense == "min" and value <= 0:  # no break, or no change, at all
                self.proven[stage] = 0
            elif stage == "keep" and value >= -least_value(b.model, -expr):
                self.proven[stage] = value  # every earlier meeting with a candidate start
            elif stage == "changes" and value <= least_value(b.model, expr) + forced_new(
                b, best, b.fixed.get("weight", (None, "max"))[0]
            ):
                # only the changes that the earlier plan's lost slots and the new requests
                # the weight needs force (not looked for in breaks: their least value is
                # never above 0, and it is slow to compute on large editions)
                self.proven[stage] = value
        if stage not in self.proven:
            return False
        _, sense = b.objectives[stage]
        value = round(self.proven[stage])
        fix_objective(b, stage, value, exact=True)
        if self.progress is not None:  # the stage's one solution, proven at once
            Progress(stage, self.progress).report(value, value)
        if self.skip_weight and not self.results:
            self.results.append(self.weight_result(True, Status.OPTIMAL))
        self.results.append(
            StageResult(
                name=stage,
                status=Status.OPTIMAL,
                objective=float(value),
                bound=float(value),
                gap=0.0,
                seconds=self.spent.get(stage, 0.0),
                sense=sense,
            )
        )
        return True

    def solve_stage(self, i: int, stage: StageName) -> Solution | None:
        """Solve stage `i`; a solution when the run ends here (no schedule exists)."""
        b, stages, options = self.b, self.stages, self.options
        budget = (
            self.left()
            - RESERVE_SHARE * self.total * (len(stages) - i - 1)
            - END_MARGIN_SHARE * self.total
        )
        # a re-plan's weight (or keep) stage looks for the best schedule closest to the
        # earlier plan, in one solve with the changes stage that follows (closest_goal)
        closest = stage in ("weight", "keep") and stages[i + 1 : i + 2] == ["changes"]
        result, values, next_proven = run_stage(
            b,
            stage,
            budget,
            self.hint,
            self.progress,
            hint_is_feasible=self.best is not None,
            closest=closest,
        )
        if stage in self.spent:
            result = result.model_copy(update={"seconds": result.seconds + self.spent[stage]})
        if stage == "weight" and self.weight_bound is not None and result.objective is not None:
            result = tighter_bound(result, self.weight_bound)
        if self.skip_weight and not self.results:
            found = values is not None
            self.results.append(self.weight_result(found, result.status))
        best = self.best
        if values is not None and best is not None and options.previous is not None:
            same = [b.objectives[k][0] for k in ([stage, "changes"] if closest else [stage])]
            if all(evaluate(e, values) == evaluate(e, best) for e in same):
                values = best  # as good for this stage, and closer to the earlier plan
        if next_proven is not None:
            self.proven[stages[i + 1]] = next_proven
        self.results.append(result)
        if values is None:
            if result.status == Status.INFEASIBLE and best is None:
                conflicts = find_conflicts(b.prep, options, self.left())
                return infeasible(b.inst, b.prep, conflicts, self.results, self.t0)
            # no solution in this stage: keep the previous stage's solution, if any
            return self.solution(complete=False)
        # CP-SAT leaves the objective variables of later stages at any value their
        # constraints allow (the fairness share at 0, say): recompute them for the next
        last = i == len(stages) - 1
        self.hint = self.best = values if last else complete_values(b, values)
        return None

    def weight_result(self, found: bool, status: Status) -> StageResult:
        """The weight stage's result when it is not solved: every mandatory request."""
        w = float(sum(req.weight for req in self.b.inst.requests if req.mandatory))
        return StageResult(
            name="weight",
            status=Status.OPTIMAL if found else status,
            objective=w if found else None,
            bound=w if found else None,
            gap=0.0 if found else None,
            sense="max",
        )

    def solution(self, complete: bool = True) -> Solution:
        """The solution from the schedule in hand; OPTIMAL when every stage ran and was
        proven (`complete`: no stage was cut short)."""
        inst, best, results = self.b.inst, self.best, self.results
        if best is None:  # neither CP-SAT nor the starting schedule
            return Solution(
                instance=inst.name,
                status=Status.UNKNOWN,
                stages=results,
                unscheduled=[
                    Unscheduled(
                        request=req.id,
                        code="time_limit",
                        reason="no schedule was found within the time limit",
                    )
                    for req in inst.requests
                ],
                seconds=time.perf_counter() - self.t0,
            )
        assignments = extract(self.b, best)
        all_optimal = (
            complete
            and len(results) == len(self.stages)
            and all(r.status == Status.OPTIMAL for r in results)
        )
        return Solution(
            instance=inst.name,
            status=Status.OPTIMAL if all_optimal else Status.FEASIBLE,
            assignments=assignments,
            unscheduled=explain_unscheduled(self.b.prep, assignments),
            stages=results,
            scheduled_weight=sum(inst.request_by_id[a.request].weight for a in assignments),
            breaks=count_breaks(self.b.prep, self.options, assignments),
            seconds=time.perf_counter() - self.t0,
        )


def tighter_bound(result: StageResult, bound: int) -> StageResult:
    """A maximisation stage's result with `bound`, a proven upper bound found outside its
    search, where it is tighter than the search's own (then optimal if reached)."""
    if result.bound is not None and result.bound <= bound:
        return result
    objective = result.objective or 0.0
    return result.model_copy(
        update={
            "bound": float(bound),
            "gap": abs(objective - bound) / max(1.0, abs(objective)),
            "status": Status.OPTIMAL if objective >= bound else result.status,
        }
    )


def run_stage(
    b: Built,
    stage: StageName,
    seconds: float,
    hint: list[int] | None,
    progress: ProgressCallback | None,
    *,
    hint_is_feasible: bool = False,
    closest: bool = False,
) -> tuple[StageResult, list[int] | None, float | None]:
    """Optimise one stage; on success fix its objective for the stages that follow. With
    `closest` (a re-plan's weight stage), also the changes among the heaviest schedules
    (closest_goal): the third value is then the changes, when that solve proved them.

    When CP-SAT stops before reporting any solution (e.g. its presolve used the whole
    time) but the hint is feasible, the hint is this stage's solution: FEASIBLE, no bound.
    """
    expr, sense = b.objectives[stage]
    goal, per = closest_goal(b, stage) if closest else (expr, 1)
    m = b.model
    m.minimize(goal) if sense == "min" else m.maximize(goal)
    set_hint(m, hint)
    cb = Progress(stage, progress, per) if progress is not None else None
    start = time.perf_counter()
    if stage == "breaks":
        out = solve_breaks(b, seconds, cb, hint if hint_is_feasible else None)
    else:
        out = solve_once(m, b.options, seconds, cb)
    status, wall = out.status, time.perf_counter() - start
    next_proven = None
    if per > 1 and out.values is not None:
        if out.bound is not None:
            out.bound = ceil_div(out.bound, per)
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


__all__ = ["run_stage", "solve", "stage_order"]
