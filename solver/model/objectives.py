"""The objective of each stage but breaks (solver/model/breaks.py), and fixing a stage's
objective for the stages after it."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from ..models import Instance
from .built import Built

PER_MILLE = 1000


def weight_objective(b: Built) -> tuple[cp_model.LinearExprT, str]:
    """Stage `weight`: total weight of the scheduled requests (max)."""
    reqs = b.inst.requests
    return sum(reqs[r].weight * s for r, s in enumerate(b.sched) if s is not None), "max"


def delegations_for_fairness(inst: Instance) -> list[str]:
    """Delegations with at least one request of positive total weight."""
    total: dict[str, int] = defaultdict(int)
    for req in inst.requests:
        for p in req.parties:
            total[p] += req.weight
    return [p.id for p in inst.parties if p.kind == "delegation" and total.get(p.id, 0) > 0]


def fairness_objective(b: Built) -> tuple[cp_model.LinearExprT, str]:
    """Stage `fairness`: min over delegations of floor(1000 * scheduled / requested weight)."""
    m = b.model
    share = m.new_int_var(0, PER_MILLE, "min_share_per_mille")
    parts: list[tuple[int, list[tuple[int, cp_model.IntVar]]]] = []
    for d in b.delegations:
        rs = b.party_requests[d]
        requested = sum(b.inst.requests[r].weight for r in rs)
        got = [(b.inst.requests[r].weight, b.sched[r]) for r in rs if b.sched[r] is not None]
        m.add(PER_MILLE * sum(w * x for w, x in got) >= requested * share).with_name(f"share[{d}]")
        parts.append((requested, got))

    def value(v: list[int]) -> int:
        shares = [PER_MILLE * sum(w * v[x.index] for w, x in got) // req for req, got in parts]
        return min(shares, default=PER_MILLE)

    b.define(share, value)
    return share, "max"


def keep_objective(b: Built) -> tuple[cp_model.LinearExprT, str]:
    """Stage `keep` (a re-plan with `keep_previous`): earlier meetings still scheduled,
    the released ones aside (max). Fixed at its optimum, it keeps every earlier meeting of
    the largest set that can still be held together."""
    kept = b.options.kept()
    return sum(
        s
        for req, s in zip(b.inst.requests, b.sched, strict=True)
        if s is not None and req.id in kept
    ), "max"


def changes_objective(b: Built) -> tuple[cp_model.LinearExprT, str]:
    """Stage `changes`: requests whose (slot, room) differ from `options.previous` (min).
    With `keep_previous`, only the earlier meetings count (moved or dropped, the released
    ones aside): new requests are no change, the weight stage after it adds them."""
    keeps = b.options.keeps_previous
    prev = b.options.kept() if keeps else {a.request: a for a in b.options.previous or []}
    room_index = {room.id: k for k, room in enumerate(b.inst.rooms)}
    terms: list[cp_model.LinearExprT] = []
    for r, req in enumerate(b.inst.requests):
        a = prev.get(req.id)
        if a is None:
            if b.sched[r] is not None and not keeps:
                terms.append(b.sched[r])
            continue
        if b.prep.pooled:
            keep = b.y[r].get(a.slot)
        else:
            keep = b.x.get((r, a.slot, room_index[a.room]))
        terms.append(1 if keep is None else 1 - keep)
    return sum(terms), "min"


def fix_objective(b: Built, stage: str, value: int, exact: bool = False) -> None:
    """Keep stage `stage` at `value` (or better, unless `exact`) in the later stages."""
    expr, sense = b.objectives[stage]
    if exact:
        b.model.add(expr == value).with_name(f"fix_{stage}")
    else:
        b.model.add(expr >= value if sense == "max" else expr <= value).with_name(f"fix_{stage}")
    b.fixed[stage] = (value, sense)


def weight_is_constant(b: Built) -> bool:
    """True when every request that can be scheduled is mandatory."""
    return all(
        req.mandatory
        for req, sched in zip(b.inst.requests, b.sched, strict=True)
        if sched is not None
    )
