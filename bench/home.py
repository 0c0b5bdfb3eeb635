"""Home rooms (`options.home_rooms`) on and off, side by side, on the demo edition (five
topics per delegation, one multisector, as `bench pages` builds it), the 7th-edition example
and generated GORE editions: the weight, the multisector meetings kept, how many rooms the
busiest-moving sector uses, the breaks, each stage's status."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

from sqlmodel import Session

from app.core.db import make_engine
from app.core.migrations import upgrade
from app.scheduling.mapping import build_instance
from solver import solve
from solver.models import Instance, Solution

from .generators import gore, seventh_edition
from .harness import Echo, fmt, header, run_solver
from .pages import demo_edition


def demo_instance(time_limit: float) -> Instance:
    """The demo edition's solver instance, built on a temporary SQLite database."""
    with tempfile.TemporaryDirectory(prefix="articula-home-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'home.db'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                edition = demo_edition(session)
                instance, _ = build_instance(
                    session=session, edition=edition, options_in={"time_limit_s": time_limit}
                )
        finally:
            engine.dispose()
    return instance


def _multisector(inst: Instance) -> set[str]:
    kind = {p.id: p.kind for p in inst.parties}
    return {r.id for r in inst.requests if sum(1 for p in r.parties if kind[p] == "sector") > 1}


def _most_rooms(inst: Instance, sol: Solution) -> int:
    """The most rooms any sector uses for its meetings without another sector."""
    kind = {p.id: p.kind for p in inst.parties}
    rooms: dict[str, set[str]] = defaultdict(set)
    for a in sol.assignments:
        sectors = [p for p in inst.request_by_id[a.request].parties if kind[p] == "sector"]
        if len(sectors) == 1:
            rooms[sectors[0]].add(a.room)
    return max((len(r) for r in rooms.values()), default=0)


def run_home_rooms(seeds: list[int], time_limit: float, workers: int, echo: Echo = print) -> bool:
    """Solve each edition with home rooms off, then on; print a table. True when every
    solution passed the validator."""
    editions = [
        ("demo edition", demo_instance(time_limit)),
        ("7th edition", seventh_edition(time_limit_s=time_limit)),
    ] + [(f"GORE seed {s}", gore(seed=s, time_limit_s=time_limit)) for s in seeds]
    header(echo, "Home rooms off and on")
    echo(f"CP-SAT, {time_limit:g} s, {workers} workers, each edition twice in a row.")
    echo("")
    echo(
        "| edition | home rooms | status | s | weight | multisector kept | most rooms of a "
        "sector alone | breaks | stages | valid |"
    )
    echo("|---|---|---|---|---|---|---|---|---|---|")
    ok = True
    for name, inst in editions:
        multi = _multisector(inst)
        for on in (False, True):
            options = inst.options.model_copy(update={"home_rooms": on, "workers": workers})
            run = run_solver(solve, inst.model_copy(update={"options": options}), False)
            s = run.solution
            if s is None:
                echo(f"| {name} | {on} | crash: {run.error} | | | | | | | |")
                ok = False
                continue
            ok = ok and run.valid is True
            placed = {a.request for a in s.assignments}
            stages = ", ".join(
                f"{st.name} {st.status.value.lower()} {fmt(st.objective, 0)}" for st in s.stages
            )
            echo(
                f"| {name} | {'on' if on else 'off'} | {s.status.value} | {fmt(s.seconds, 1)} "
                f"| {s.scheduled_weight} | {len(multi & placed)}/{len(multi)} "
                f"| {_most_rooms(inst, s)} | {s.breaks} | {stages} | {run.valid} |"
            )
    echo("")
    return ok
