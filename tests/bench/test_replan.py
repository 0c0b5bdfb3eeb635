"""The re-planning benchmark's events, and what a re-plan must give the SD team."""

from __future__ import annotations

from bench.generators import gore
from bench.replan import CALLED_AWAY, DAY, events
from solver import greedy, solve, validate


def test_replans_keep_every_rule_and_move_little() -> None:
    inst = gore(seed=1, n_requests=120, time_limit_s=2.0)
    plan = solve(inst)
    evs = events(inst, plan)
    assert [e.name for e in evs] == ["minister", "governor", "withdrawn", "new request"]
    minister = evs[0].instance
    away = next(p for p in minister.parties if p.unavailable != inst.party_by_id[p.id].unavailable)
    assert {t % DAY for t in away.unavailable} >= set(CALLED_AWAY)
    for ev in evs:
        assert ev.instance.options.previous  # the plan, minus withdrawn requests
        sol = solve(ev.instance)
        report = validate(ev.instance, sol)
        assert report.ok, (ev.name, report.violations)
        by_hand = validate(ev.instance, greedy(ev.instance))
        # the earlier meetings are kept first, the weight is at least the greedy re-plan's
        # (which keeps them too), and the re-plan moves a handful of the ~120 meetings
        assert sol.scheduled_weight >= by_hand.scheduled_weight
        assert report.changes is not None and report.changes <= 12, (ev.name, report.changes)
