"""Re-planning benchmark: an edition is planned, something changes, and it is re-planned.

The SD re-plans after every cancellation, so what counts is how fast the re-plan comes and
how little of the published schedule it moves. Each event below changes the generated
edition the way real editions change; the re-plan gets the first plan as `previous` and the
product's stage order (`solver.REPLAN_STAGES`: keep, changes, weight, fairness, breaks). The
greedy re-plan is the by-hand baseline: it keeps every meeting that still fits and places
the rest around them. Every solution goes through the product validator, which counts the
changes itself (earlier meetings whose (slot, room) differs or that were dropped).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from solver import REPLAN_STAGES, greedy, solve
from solver.models import Instance, MeetingRequest, Solution

from .generators import gore, muni, seventh_edition
from .harness import Echo, Timed, fmt, header, run_solver

# Slots counted from each day's first slot (generated editions: 24 slots a day, 09:00-12:40
# and 14:00-17:40, 20 minutes each).
DAY = 24
CALLED_AWAY = range(3, 7)  # 10:00-11:20
LEAVES_EARLY = range(18, DAY)  # from 16:00


@dataclass
class Event:
    name: str
    description: str
    instance: Instance


def _busiest(inst: Instance, plan: Solution, kind: str, slots: range | None = None) -> str:
    """The party of `kind` with the most planned meetings (in `slots` of each day, if given)."""
    load: Counter[str] = Counter()
    for a in plan.assignments:
        if slots is None or a.slot % DAY in slots:
            load.update(inst.request_by_id[a.request].parties)
    kinds = {p.id for p in inst.parties if p.kind == kind}
    return max(sorted(kinds), key=lambda p: load[p])


def _away(inst: Instance, party: str, slots: range) -> list:
    """The parties with `party` unavailable in `slots` of every day."""
    lost = {t for t in range(inst.grid.n_slots) if t % DAY in slots}
    return [
        p.model_copy(update={"unavailable": sorted(set(p.unavailable) | lost)})
        if p.id == party
        else p
        for p in inst.parties
    ]


def _replan(inst: Instance, plan: Solution, **changes) -> Instance:
    """`inst` with `changes` (parties, requests) and the plan as the previous solution."""
    kept = {r.id for r in changes.get("requests", inst.requests)}
    options = inst.options.model_copy(
        update={
            "previous": [a for a in plan.assignments if a.request in kept],
            "stages": REPLAN_STAGES,
        }
    )
    return Instance.model_validate(
        inst.model_copy(update={**changes, "options": options}).model_dump()
    )


def events(inst: Instance, plan: Solution) -> list[Event]:
    """A minister called away for a morning hour and a half, a governor who leaves early,
    three meetings withdrawn, a new priority-1 request."""
    sector = _busiest(inst, plan, "sector", CALLED_AWAY)
    governor = _busiest(inst, plan, "delegation", LEAVES_EARLY)
    withdrawing = _busiest(inst, plan, "delegation")
    gone = {
        a.request for a in plan.assignments if withdrawing in inst.request_by_id[a.request].parties
    }
    gone = set(sorted(gone)[:3])
    asked = {p for r in inst.requests for p in r.parties}
    newcomer = min(
        sorted(p.id for p in inst.parties if p.kind == "delegation"),
        key=lambda d: sum(
            1 for a in plan.assignments if d in inst.request_by_id[a.request].parties
        ),
    )
    mine = {p for r in inst.requests if newcomer in r.parties for p in r.parties}
    partner = next(
        p.id for p in inst.parties if p.kind == "sector" and p.id not in mine and p.id in asked
    )
    new = MeetingRequest(
        id="new-1", parties=[newcomer, partner], weight=10, attendees=inst.requests[0].attendees
    )
    return [
        Event(
            "minister",
            f"{sector} away 10:00-11:20",
            _replan(inst, plan, parties=_away(inst, sector, CALLED_AWAY)),
        ),
        Event(
            "governor",
            f"{governor} leaves at 16:00",
            _replan(inst, plan, parties=_away(inst, governor, LEAVES_EARLY)),
        ),
        Event(
            "withdrawn",
            f"{withdrawing} withdraws {len(gone)} meetings",
            _replan(inst, plan, requests=[r for r in inst.requests if r.id not in gone]),
        ),
        Event(
            "new request",
            f"{newcomer} asks {partner} (weight 10)",
            _replan(inst, plan, requests=[*inst.requests, new]),
        ),
    ]


GENERATORS: dict[str, Callable[..., Instance]] = {"gore": gore, "muni": muni}


def run_replan(
    kind: str, seed: int, time_limit: float, workers: int, echo: Echo = print
) -> dict[str, dict[str, Timed]]:
    """Plan, then re-plan after each event with CP-SAT and the greedy; print a table.
    Returns event name -> solver -> run (CP-SAT's plan under "plan")."""
    inst = GENERATORS[kind](seed=seed, time_limit_s=time_limit)
    inst = inst.model_copy(update={"options": inst.options.model_copy(update={"workers": workers})})
    header(echo, f"{kind.upper()} re-planning, instance {inst.name} (seed {seed})")
    plan = run_solver(solve, inst, with_progress=False)
    assert plan.solution is not None, plan.error
    sol = plan.solution
    echo(
        f"Plan: CP-SAT {fmt(sol.seconds, 1)} s, {len(sol.assignments)} meetings, weight "
        f"{sol.scheduled_weight}, {sol.breaks} breaks. Each re-plan: CP-SAT with {time_limit:g} s "
        f"and {workers} workers, stages {', '.join(REPLAN_STAGES)}; greedy keeps what fits. "
        "changes = earlier meetings moved (slot or room) or dropped, counted by the validator "
        "(with the keeping rules a new meeting is no change)."
    )
    echo("")
    echo("| event | solver | status | s | weight | changes | breaks | stages | valid |")
    echo("|---|---|---|---|---|---|---|---|---|")
    out: dict[str, dict[str, Timed]] = {"plan": {"CP-SAT": plan}}
    for ev in events(inst, sol):
        runs = {
            "CP-SAT": run_solver(solve, ev.instance, with_progress=False),
            "greedy": run_solver(greedy, ev.instance, with_progress=False),
        }
        out[ev.name] = runs
        for label, run in runs.items():
            s = run.solution
            if s is None:
                echo(f"| {ev.description} | {label} | crash: {run.error} | | | | | | |")
                continue
            stages = ", ".join(
                f"{st.name} {st.status.value.lower()} {fmt(st.objective, 0)}" for st in s.stages
            )
            valid = "yes" if run.valid else "NO: " + "; ".join(run.violations[:2])
            echo(
                f"| {ev.description} | {label} | {s.status.value} | {fmt(s.seconds, 1)} "
                f"| {s.scheduled_weight} | {run.changes} | {s.breaks} | {stages or '-'} "
                f"| {valid} |"
            )
    echo("")
    return out


def _moves(inst: Instance, sol: Solution) -> tuple[int, int, int]:
    """(earlier meetings moved, earlier meetings dropped, new meetings added)."""
    prev = {a.request: (a.slot, a.room) for a in inst.options.previous or []}
    placed = {a.request: (a.slot, a.room) for a in sol.assignments}
    moved = sum(1 for r, w in prev.items() if r in placed and placed[r] != w)
    dropped = sum(1 for r in prev if r not in placed)
    return moved, dropped, sum(1 for r in placed if r not in prev)


def run_seventh_away(
    sector: str, slots: int, time_limit: float, workers: int, echo: Echo = print
) -> dict[str, Timed]:
    """The 7th-edition example planned by CP-SAT, then `sector` away for `slots` slots in a
    row where it has a meeting in each, re-planned from the file format's options: with the
    keeping rules (the default) and without them (`keep_previous` false: weight, fairness,
    breaks, changes)."""
    inst = seventh_edition(time_limit_s=time_limit)
    inst = inst.model_copy(update={"options": inst.options.model_copy(update={"workers": workers})})
    header(echo, f"7th edition: {sector} away for {slots} slots, re-planned")
    plan = run_solver(solve, inst, with_progress=False)
    assert plan.solution is not None, plan.error
    busy = sorted(
        a.slot for a in plan.solution.assignments if sector in inst.request_by_id[a.request].parties
    )
    start = next(t for t in busy if all(t + i in busy for i in range(slots)))
    away = range(start, start + slots)
    parties = [
        p.model_copy(update={"unavailable": sorted({*p.unavailable, *away})})
        if p.id == sector
        else p
        for p in inst.parties
    ]
    echo(
        f"Plan: CP-SAT {fmt(plan.solution.seconds, 1)} s, {len(plan.solution.assignments)} "
        f"meetings. {sector} away at slots {start}-{start + slots - 1}: {slots} meetings must "
        f"move. Each re-plan: CP-SAT, {time_limit:g} s, {workers} workers."
    )
    echo("")
    echo("| re-plan | status | s | weight | moved | dropped | added | breaks | stages |")
    echo("|---|---|---|---|---|---|---|---|---|")
    out: dict[str, Timed] = {"plan": plan}
    for label, keep in (("keeping (default)", True), ("keep_previous false", False)):
        options = inst.options.model_copy(
            update={"previous": plan.solution.assignments, "keep_previous": keep}
        )
        ev = Instance.model_validate(
            inst.model_copy(update={"parties": parties, "options": options}).model_dump()
        )
        run = run_solver(solve, ev, with_progress=False)
        out[label] = run
        s = run.solution
        if s is None:
            echo(f"| {label} | crash: {run.error} | | | | | | | |")
            continue
        moved, dropped, added = _moves(ev, s)
        stages = ", ".join(
            f"{st.name} {st.status.value.lower()} {fmt(st.objective, 0)}" for st in s.stages
        )
        echo(
            f"| {label} | {s.status.value} | {fmt(s.seconds, 1)} | {s.scheduled_weight} "
            f"| {moved} | {dropped} | {added} | {s.breaks} | {stages} |"
        )
    echo("")
    return out
