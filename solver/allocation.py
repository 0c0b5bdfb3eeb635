"""The weight stage by allocation first: which requests, before when.

The allocation relaxation drops the slots: a Boolean per request, every mandatory request
chosen, and per party the Hall conditions of its requests over the slots they can cover
(the requests whose covered slots all lie in a set C of slots fill at most |C| of them,
for C = each request's covered slots and their union), plus the rooms (meeting-slots at
most rooms x slots). Every schedule chooses a set that meets them, so the relaxation's
optimum bounds the scheduled weight from above; where each party's meetings compete for
the same slots (ministers asked far more than their day holds) it is usually the optimum.

`allocation_start` solves the relaxation, then schedules exactly the chosen requests (a
feasibility problem, with every hard rule): a schedule found there reaches the bound, so
it is optimal and the weight stage needs no search of its own. It applies to any instance
(the schedule keeps every rule) except a re-plan, whose weight stage also looks for the
schedule closest to the earlier plan (solver/replan.py).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .cpsat import solve_once
from .extract import extract
from .features import Feature
from .model import Built, build, hint_values, set_hint
from .models import Instance, Solution, Status
from .prep import prepare
from .starts import greedy_start
from .validate import validate

# Every rule only removes schedules, so the relaxation stays an upper bound, and the check
# solves the full model: every feature but a re-plan's closest-schedule goal, and shared
# home rooms (the sub-edition of the chosen requests would choose homes of its own, which
# the edition's model, built on the edition's homes, may not hold).
SUPPORTS = frozenset(Feature) - {Feature.REPLAN, Feature.HOME_ROOMS}
# share of the time given that the relaxation may use; the check gets the rest
RELAXATION_SHARE = 0.2


@dataclass
class Allocation:
    """The relaxation's outcome: its proven upper bound on the scheduled weight and, when
    it was solved to optimality, the chosen requests."""

    bound: int
    chosen: list[int] | None


def applies(b: Built) -> bool:
    return b.features <= SUPPORTS


def relaxation(b: Built, seconds: float) -> Allocation | None:
    """The allocation relaxation of b's weight stage, solved within `seconds`; None when it
    found nothing (no chosen set keeps the mandatory requests and the Hall conditions)."""
    prep, inst = b.prep, b.inst
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{r}") for r in range(len(inst.requests))]
    covered: list[frozenset[int]] = []
    by_party: dict[str, list[int]] = defaultdict(list)
    for r, req in enumerate(inst.requests):
        cover = frozenset(t for s in prep.starts[r] for t in range(s, s + req.duration))
        covered.append(cover)
        if not prep.starts[r] or not prep.rooms[r]:
            m.add(x[r] == 0)
        elif req.mandatory:
            m.add(x[r] == 1)
        for p in req.parties:
            by_party[p].append(r)
    length = [req.duration for req in inst.requests]
    for rs in by_party.values():
        sets = {covered[r] for r in rs if covered[r]}
        if sets:
            sets.add(frozenset().union(*sets))
        for c in sets:
            inside = [r for r in rs if covered[r] and covered[r] <= c]
            if sum(length[r] for r in inside) > len(c):
                m.add(sum(length[r] * x[r] for r in inside) <= len(c))
    m.add(sum(length[r] * x[r] for r in range(len(x))) <= len(inst.rooms) * prep.n)
    m.maximize(sum(req.weight * x[r] for r, req in enumerate(inst.requests)))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = b.options.workers
    solver.parameters.random_seed = b.options.seed
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    bound = round(solver.best_objective_bound)
    if status != cp_model.OPTIMAL:
        return Allocation(bound, None)
    return Allocation(bound, [r for r in range(len(x)) if solver.boolean_value(x[r])])


def allocation_start(b: Built, seconds: float) -> tuple[Allocation | None, list[int] | None]:
    """The relaxation (see the module docstring) and, when a schedule of exactly its chosen
    requests keeps every rule, that schedule (every variable's value of b's model), whose
    weight is then the proven optimum; both within `seconds`. The chosen requests are
    scheduled as an edition of their own (every one mandatory, the precedences on the
    others dropped: they bind only when both requests are scheduled), a model far smaller
    than b's; its schedule is checked by the validator against the whole edition."""
    t0 = time.perf_counter()
    alloc = relaxation(b, RELAXATION_SHARE * seconds)
    if alloc is None or alloc.chosen is None:
        return alloc, None
    inst = b.inst
    ids = {inst.requests[r].id for r in alloc.chosen}
    # validated anew, so the sub-edition passes the instance's own checks
    sub = Instance.model_validate(
        {
            **inst.model_dump(),
            "requests": [
                req.model_copy(
                    update={"mandatory": True, "after": [q for q in req.after if q in ids]}
                ).model_dump()
                for req in inst.requests
                if req.id in ids
            ],
        }
    )
    part = build(prepare(sub), b.options, ["weight"])
    start = greedy_start(part)
    set_hint(part.model, start[0] if start[1] else None)
    left = seconds - (time.perf_counter() - t0)
    out = solve_once(part.model, b.options, left, stop_after_first=True)
    if out.values is None:
        return alloc, None
    assignments = extract(part, out.values)
    found = Solution(
        instance=inst.name,
        status=Status.FEASIBLE,
        assignments=assignments,
        scheduled_weight=sum(inst.request_by_id[a.request].weight for a in assignments),
    )
    if not validate(inst, found, b.options).ok:
        return alloc, None
    index = {req.id: r for r, req in enumerate(inst.requests)}
    room = {room.id: k for k, room in enumerate(inst.rooms)}
    placed = {
        (index[a.request], a.slot): None if b.prep.pooled else room[a.room] for a in assignments
    }
    return alloc, hint_values(b, placed)
