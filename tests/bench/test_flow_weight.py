"""The min-cost-flow weight optimum (solver/flow.py) on MUNI-shaped editions."""

import random

from bench.generators import gore, muni
from solver import Status, solve, validate
from solver.flow import _edge_colouring, flow_schedule, polish
from solver.prep import prepare


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


def _random_bipartite(seed: int, k: int, n: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    edges: list[tuple[str, str]] = []
    deg: dict[str, int] = {}
    for _ in range(20 * n):
        u, v = f"u{rng.randrange(30)}", f"v{rng.randrange(8)}"
        if deg.get(u, 0) < 4 and deg.get(v, 0) < k - 2 and len(edges) < n:
            edges.append((u, v))
            deg[u] = deg.get(u, 0) + 1
            deg[v] = deg.get(v, 0) + 1
    return edges


def _idle(edges: list[tuple[str, str]], colours: list[int]) -> int:
    used: dict[tuple[str, str], list[int]] = {}
    for (u, v), c in zip(edges, colours, strict=True):
        used.setdefault(("a", u), []).append(c)
        used.setdefault(("b", v), []).append(c)
    return sum(max(cs) - min(cs) + 1 - len(cs) for cs in used.values())


def test_polish_keeps_the_colouring_proper_and_removes_idle_slots():
    k = 12
    edges = _random_bipartite(seed=2, k=k, n=70)
    start = _edge_colouring(edges, k)
    before = _idle(edges, start)
    assert before > 0  # the exact colouring ignores gaps
    colours = polish(edges, start, k, 1.0, random.Random(0))
    seen = set()
    for (u, v), c in zip(edges, colours, strict=True):
        assert 0 <= c < k
        assert ("a", u, c) not in seen and ("b", v, c) not in seen
        seen |= {("a", u, c), ("b", v, c)}
    assert _idle(edges, colours) < before / 2


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
    from solver.models import Assignment

    inst = muni(seed=3, n_munis=80, n_requests=320, time_limit_s=6)
    prep = prepare(inst)
    plain = flow_schedule(prep)
    polished = flow_schedule(prep, polish_seconds=1.0)
    assert plain is not None and polished is not None
    assert polished[0] == plain[0]  # the same optimal weight
    assert sorted(r for r, _ in polished[1]) == sorted(r for r, _ in plain[1])

    def idle(placed):
        return idle_slots(
            inst,
            [Assignment(request=inst.requests[r].id, slot=s, room="x") for r, s in placed],
        )

    assert idle(polished[1]) < idle(plain[1])
