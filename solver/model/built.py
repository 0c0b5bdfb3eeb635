"""The built model: the CP-SAT model with handles to its variables, and solution vectors.

A solution vector holds one value per model variable, by index. Every auxiliary variable is
registered with its definition (`Built.define`), so a complete vector follows from the
placements alone (`hint_values`, `complete_values`, `extend_values`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ortools.sat.python import cp_model, cp_model_helper

from ..features import Feature, features
from ..models import Instance, Options
from ..prep import Prepared


@dataclass
class Built:
    """The model and handles to its variables."""

    model: cp_model.CpModel
    prep: Prepared
    options: Options
    y: list[dict[int, cp_model.IntVar]] = field(default_factory=list)
    x: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    sched: list[cp_model.IntVar | None] = field(default_factory=list)
    party_cover: dict[str, dict[int, list[cp_model.IntVar]]] = field(default_factory=dict)
    slot_cover: dict[int, list[tuple[int, cp_model.IntVar]]] = field(default_factory=dict)
    busy: dict[str, dict[int, cp_model.IntVar]] = field(default_factory=dict)
    counted: list[str] = field(default_factory=list)
    breaks: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    # per counted party: breaks as a linear expression of Booleans (run starts - active)
    break_terms: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    min_breaks: cp_model.IntVar | None = None  # min_q breaks(q), with break fairness
    # per (counted party, segment start): the Booleans whose sum is its breaks there
    segment_breaks: dict[tuple[str, int], list[cp_model.IntVar]] = field(default_factory=dict)
    crowded: int = 0  # crowded-interval cuts added
    sure_active: list[str] = field(default_factory=list)  # counted parties surely meeting
    mandatory_lits: dict[int, cp_model.IntVar] = field(default_factory=dict)
    objectives: dict[str, tuple[cp_model.LinearExprT, str]] = field(default_factory=dict)
    # per stage whose objective is fixed for the later ones: (value, sense); the objective
    # is at least the value (max), at most (min)
    fixed: dict[str, tuple[int, str]] = field(default_factory=dict)
    delegations: list[str] = field(default_factory=list)
    party_requests: dict[str, list[int]] = field(default_factory=dict)
    # How to compute every auxiliary variable from the placements (for complete hints)
    defs: list[tuple[cp_model.IntVar, Callable[[list[int]], int]]] = field(default_factory=list)

    def define(self, var: cp_model.IntVar, fn: Callable[[list[int]], int]) -> None:
        self.defs.append((var, fn))

    @property
    def inst(self) -> Instance:
        return self.prep.inst

    @cached_property
    def features(self) -> frozenset[Feature]:
        """The features of the instance and options (solver/features.py)."""
        return features(self.prep, self.options)


def value_of(v: list[int], x: cp_model.LinearExprT) -> int:
    """The value in `v` of an integer or a variable."""
    return x if isinstance(x, int) else v[x.index]


def extend_values(b: Built, values: list[int]) -> list[int]:
    """A solution vector extended to the variables created after it (add_breaks)."""
    n = len(b.model.proto.variables)
    v = values + [0] * (n - len(values))
    for var, fn in b.defs:
        if var.index >= len(values):
            v[var.index] = fn(v)
    return v


def least_value(m: cp_model.CpModel, expr: cp_model.LinearExprT) -> int:
    """The least value of `expr` over its variables' domains, constraints ignored (a
    re-plan's changes: the meetings whose old slot is no longer possible)."""
    if isinstance(expr, int):
        return expr
    flat = cp_model_helper.FlatIntExpr(expr)
    least = flat.offset
    for var, coeff in zip(flat.vars, flat.coeffs, strict=True):
        if var.index < 0:  # a negated Boolean
            low, high = 0, 1
        else:  # (the proto's repeated field does not index from the end)
            domain = list(m.proto.variables[var.index].domain)
            low, high = domain[0], domain[-1]
        least += min(coeff * low, coeff * high)
    return least


def complete_values(b: Built, values: list[int]) -> list[int]:
    """`values` with every defined auxiliary variable recomputed from the placements. A
    stage's solution leaves the objective variables of later stages at any value their
    constraints allow (the fairness share at 0, say), so read them only after this."""
    v = list(values)
    for var, fn in b.defs:
        v[var.index] = fn(v)
    return v


def hint_values(b: Built, placed: dict[tuple[int, int], int | None]) -> list[int]:
    """A value for every variable from placements {(request, start): room or None}."""
    # constants that the CP-SAT wrapper created keep their value
    v = [
        var.domain[0] if len(var.domain) == 2 and var.domain[0] == var.domain[1] else 0
        for var in b.model.proto.variables
    ]
    for (r, s), k in placed.items():
        v[b.y[r][s].index] = 1
        if not b.prep.pooled:
            v[b.x[r, s, k].index] = 1
    for var, fn in b.defs:
        v[var.index] = fn(v)
    return v


def evaluate(expr: cp_model.LinearExprT, values: list[int]) -> int:
    """The value of a linear expression in a solution vector."""
    if isinstance(expr, int):
        return expr
    flat = cp_model_helper.FlatIntExpr(expr)
    return flat.offset + sum(
        c * values[v.index] for v, c in zip(flat.vars, flat.coeffs, strict=True)
    )


def set_hint(m: cp_model.CpModel, values: list[int] | None) -> None:
    """Replace the model's hint by a value for every variable (or none)."""
    m.clear_hints()
    if values is not None:
        m.proto.solution_hint.vars.extend(range(len(values)))
        m.proto.solution_hint.values.extend(values)


def fix_outside(sub: cp_model.CpModel, b: Built, values: list[int], free: set[int]) -> None:
    """In `sub` (a copy of b's model), fix the start variables of every request outside
    `free` to their value in `values`."""
    for r, ys in enumerate(b.y):
        if r in free:
            continue
        for y in ys.values():
            v = values[y.index]
            dom = sub.proto.variables[y.index].domain
            dom.clear()
            dom.extend([v, v])


def fix_around(sub: cp_model.CpModel, b: Built, values: list[int], requests: list[int]) -> None:
    """Fix every request that shares no party with `requests` where `values` has it: only
    the meetings of their parties may move."""
    parties = {p for r in requests for p in b.inst.requests[r].parties}
    fix_outside(sub, b, values, {r for p in parties for r in b.party_requests[p]})
