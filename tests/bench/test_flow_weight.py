"""The min-cost-flow weight optimum (solver/flow.py) on MUNI-shaped editions."""

import random

from bench.generators import gore, muni
from solver import Assignment, Status, solve, validate
from solver.extract import extract
from solver.flow import _edge_colouring, flow_schedule, weight_bound
from solver.model import build
from solver.prep import prepare
from solver.solve import stage_order
from solver.starts import flow_start


def test_edge_colouring_is_proper():
    rng = random.Random(1)
    k = 6
    edges = []
    deg: dict[str, int] = {}
    while len(edges) < 200:
        u, v = f"u{rng.randrange(15)}", f"v{rng.randrange(12)}"
        if deg.get(u, 0) < k and deg.get(v, 0) < k:
            edges.append((u, v))
            deg[u] = deg.get(u, 0) + 1
            deg[v] = deg.get(v, 0) + 1
        elif len(deg) > 25 and rng.random() < 0.01:
            break
    colours = _edge_colouring(edges, k)
    seen = set()
    for (u, v), c in zip(edges, colours, strict=True):
        assert 0 <= c < k
        assert ("a", u, c) not in seen and ("b", v, c) not in seen
        seen |= {("a", u, c), ("b", v, c)}


def test_muni_weight_proven_by_flow():
    inst = muni(seed=3, n_munis=80, n_requests=320, time_limit_s=6)
    res = flow_schedule(prepare(inst))
    assert res is not None
    sol = solve(inst)
    assert validate(inst, sol).ok
    weight = sol.stages[0]
    assert weight.name == "weight" and weight.status == Status.OPTIMAL
    assert sol.scheduled_weight == res[0] == weight.bound


def test_flow_not_applicable_to_gore():
    assert flow_schedule(prepare(gore(seed=0))) is None


def test_polished_muni_schedule_keeps_the_weight_and_has_fewer_idle_slots():
    from bench.metrics import idle_slots

    inst = muni(seed=3, n_munis=80, n_requests=320, time_limit_s=6)
    built = build(prepare(inst), inst.options, stage_order(inst, inst.options))
    plain = flow_start(built)
    polished = flow_start(built, polish_seconds=1.0)
    assert plain is not None and polished is not None
    assert polished[0] == plain[0]  # the same optimal weight
    before, after = extract(built, plain[1]), extract(built, polished[1])
    assert sorted(a.request for a in after) == sorted(a.request for a in before)
    assert idle_slots(inst, after) < idle_slots(inst, before)


def test_weight_bound_is_the_flow_optimum_where_the_flow_applies():
    inst = muni(seed=3, n_munis=80, n_requests=320, time_limit_s=6)
    res = flow_schedule(prepare(inst))
    assert res is not None and weight_bound(prepare(inst)) == res[0]
    assert weight_bound(prepare(gore(seed=0))) is None  # multisector meetings


def test_weight_bound_holds_with_partial_days():
    # small pair editions where some parties are away part of a day: the flow does not
    # apply, the bound is never below CP-SAT's proven optimum, and is often equal to it
    equal = 0
    for seed in range(6):
        rng = random.Random(seed)
        inst = muni(seed=seed, n_munis=30, n_requests=140, time_limit_s=5)
        parties = [
            p.model_copy(update={"unavailable": sorted(rng.sample(range(48), 10))})
            if rng.random() < 0.3
            else p
            for p in inst.parties
        ]
        inst = inst.model_copy(update={"parties": parties})
        assert flow_schedule(prepare(inst)) is None
        bound = weight_bound(prepare(inst))
        sol = solve(
            inst.model_copy(
                update={"options": inst.options.model_copy(update={"stages": ["weight"]})}
            )
        )
        assert sol.stages[0].status == Status.OPTIMAL
        assert bound is not None and bound >= sol.scheduled_weight
        equal += bound == sol.scheduled_weight
    assert equal >= 3


def test_replan_weight_proven_by_the_bound_without_cp_sat():
    inst = muni(seed=3, n_munis=80, n_requests=320, time_limit_s=6)
    plan = solve(inst)
    # a team is away for two hours on the first morning; its meetings there move
    team = next(p.id for p in inst.parties if p.kind == "sector")
    parties = [
        p.model_copy(update={"unavailable": list(range(0, 6))}) if p.id == team else p
        for p in inst.parties
    ]
    previous = [Assignment(**a.model_dump()) for a in plan.assignments]
    # the weight-first order (keep_previous false), whose weight stage the flow's bound proves
    options = inst.options.model_copy(
        update={
            "previous": previous,
            "keep_previous": False,
            "stages": ["weight", "changes", "fairness", "breaks"],
        }
    )
    replan = inst.model_copy(update={"parties": parties, "options": options})
    sol = solve(replan)
    report = validate(replan, sol)
    assert report.ok
    weight = sol.stages[0]
    assert weight.name == "weight" and weight.status == Status.OPTIMAL and weight.seconds == 0
    assert sol.scheduled_weight == weight_bound(prepare(replan)) == plan.scheduled_weight
