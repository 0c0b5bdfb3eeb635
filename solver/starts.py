"""The first stage's starting schedule: the greedy's, or the min-cost flow's where it applies,
each as a value for every variable of the model."""

from __future__ import annotations

import random
import time

from .breaks import local
from .features import Feature
from .flow import flow_schedule
from .greedy import SUPPORTS as GREEDY_SUPPORTS
from .greedy import place
from .model import Built, hint_values, value_of
from .prep import home_rooms_of


def greedy_start(b: Built) -> tuple[list[int], bool]:
    """The greedy schedule as a value for every variable, and whether it keeps every rule.

    The greedy keeps every rule it supports except, possibly, mandatory requests it could
    not place; those are checked here, and so is break fairness, which it ignores, and the
    home rooms the hint's definitions find. Any
    other feature it does not support makes its schedule unsafe as a feasible start.
    """
    chosen = place(b.prep)
    values = hint_values(b, {(r, s): k for r, s, k in chosen})
    placed = {r for r, _, _ in chosen}
    ok = all(r in placed for r, req in enumerate(b.inst.requests) if req.mandatory)
    ok = ok and b.features - GREEDY_SUPPORTS <= {Feature.BREAK_FAIRNESS}
    if ok and b.options.home_rooms:  # the home rooms its hint gives (home_rooms_of)
        inst = b.inst
        rooms = {inst.requests[r].id: inst.rooms[k].id for r, _, k in chosen}
        ok = home_rooms_of(inst, rooms) is not None
    d = b.options.break_fairness
    if ok and d is not None and len(b.breaks) >= 2:
        counts = {p: value_of(values, expr) for p, expr in b.breaks.items()}
        active = [counts[p] for p in counts if any(r in placed for r in b.party_requests[p])]
        ok = not active or max(counts.values()) - min(active) <= d
    return values, ok


def flow_start(
    b: Built, polish_seconds: float = 0.0, seed: int = 0
) -> tuple[int, list[int]] | None:
    """The min-cost-flow weight optimum and its schedule as a full hint, when applicable;
    its idle slots and breaks then polished (solver/breaks/local.py) until `polish_seconds`
    after the call, the flow itself included."""
    t0 = time.perf_counter()
    res = flow_schedule(b.prep, b.options)
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
