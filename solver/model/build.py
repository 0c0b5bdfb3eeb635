"""Building the model: variables, every hard rule, the objective expressions of the stages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from ..models import MeetingRequest, Options
from ..prep import Prepared
from .breaks import add_breaks
from .built import Built
from .objectives import (
    changes_objective,
    delegations_for_fairness,
    fairness_objective,
    keep_objective,
    weight_objective,
)
from .rules import CONSTRAINT_RULES, implied

# The stage objectives built with the model; breaks come later (add_breaks).
OBJECTIVES: dict[str, Callable[[Built], tuple[cp_model.LinearExprT, str]]] = {
    "keep": keep_objective,
    "weight": weight_objective,
    "fairness": fairness_objective,
    "changes": changes_objective,
}


def build(
    prep: Prepared,
    options: Options,
    stages: list[str],
    *,
    assume_mandatory: bool = False,
) -> Built:
    """Create variables, add every hard rule, and the objective expressions of `stages`.

    With `assume_mandatory`, each mandatory request is scheduled only under an assumption
    literal (`Built.mandatory_lits`), so that CP-SAT can name a conflicting set of them.
    """
    inst = prep.inst
    m = cp_model.CpModel()
    m.name = inst.name
    b = Built(model=m, prep=prep, options=options)
    b.party_cover = {p.id: defaultdict(list) for p in inst.parties}
    b.slot_cover = defaultdict(list)
    b.busy = {p.id: {} for p in inst.parties}
    b.party_requests = {p.id: [] for p in inst.parties}
    for r, req in enumerate(inst.requests):
        for p in req.parties:
            b.party_requests[p].append(r)
    for r, req in enumerate(inst.requests):
        _request_variables(b, r, req)
        if assume_mandatory and req.mandatory:
            b.mandatory_lits[r] = lit = m.new_bool_var(f"assume_mandatory[{req.id}]")
            b.define(lit, lambda v: 1)
    for rule in CONSTRAINT_RULES:
        rule(b)
    if options.break_fairness is not None:
        add_breaks(b)  # a hard rule: part of the model from the start
    implied(b)
    b.delegations = delegations_for_fairness(inst)
    for stage in stages:
        if stage in OBJECTIVES:
            b.objectives[stage] = OBJECTIVES[stage](b)
    if b.mandatory_lits:
        m.add_assumptions(list(b.mandatory_lits.values()))
    return b


def _request_variables(b: Built, r: int, req: MeetingRequest) -> None:
    """The start Booleans `y[r, s]` of request r over its candidate starts, its room
    Booleans `x[r, s, k]` unless rooms are pooled, and `sched[r]` (at most one start)."""
    m, prep = b.model, b.prep
    ys: dict[int, cp_model.IntVar] = {}
    rooms = prep.rooms[r]
    if rooms:
        for s in prep.starts[r]:
            y = m.new_bool_var(f"y[{req.id},{s}]")
            ys[s] = y
            for t in range(s, s + req.duration):
                b.slot_cover[t].append((r, y))
                for p in req.parties:
                    b.party_cover[p][t].append(y)
            if not prep.pooled:
                xs = []
                for k in rooms:
                    x = m.new_bool_var(f"x[{req.id},{s},{b.inst.rooms[k].id}]")
                    b.x[r, s, k] = x
                    xs.append(x)
                m.add_exactly_one([*xs, ~y])
    b.y.append(ys)
    if ys:
        sched = m.new_bool_var(f"scheduled[{req.id}]")
        m.add_exactly_one([*ys.values(), ~sched])
        b.sched.append(sched)
        b.define(sched, lambda v, vs=list(ys.values()): int(any(v[x.index] for x in vs)))
    else:
        b.sched.append(None)
