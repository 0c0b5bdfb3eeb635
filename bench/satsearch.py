"""`python -m bench b2b-sat`: the breaks stage's MaxSAT search alone on each B2B instance.

The product races this search (`solver/breaks/maxsat.py`: "at most K gap starts" for K = 0, 1, ...
on CaDiCaL in a child process) against CP-SAT in the breaks stage. Run alone, with nothing
beside it, it shows what the SAT side costs by itself: when each K was refuted (each one a
proven bound) and when the schedule at the optimum came, against the paper's MaxSAT. The
formula is the race's: every participant at most `FAIRNESS` breaks (min_breaks = 0, exact
here because every optimum is below the number of participants, see solver.breaks.search_breaks).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from solver.breaks import maxsat
from solver.model import build
from solver.prep import prepare

from . import b2b as b2bmod
from .run import Echo, header

POLL_S = 0.01


@dataclass
class SatRow:
    name: str
    optimum: int | None
    refuted_at: list[tuple[int, float]] = field(default_factory=list)  # (K, seconds)
    breaks: int | None = None  # of the schedule found, re-counted from the .dzn file
    seconds: float | None = None  # to the schedule
    problems: list[str] = field(default_factory=list)


def search_alone(b2b: b2bmod.B2BInstance, time_limit: float) -> SatRow:
    """Run the race's search on `b2b` alone for at most `time_limit` seconds."""
    row = SatRow(b2b.name, b2bmod.KNOWN_OPTIMA.get(b2b.name))
    options = b2bmod.b2b_options(time_limit, workers=1)
    built = build(prepare(b2bmod.to_instance(b2b, options)), options, options.stages)
    if not maxsat.applies(built):
        row.problems.append("the MaxSAT search does not apply")
        return row
    search = maxsat.Search(built, options.break_fairness, time_limit)
    seen = search.bound  # the next K not yet refuted

    def note_refuted() -> None:
        nonlocal seen
        now = time.perf_counter() - t0
        row.refuted_at += [(k, now) for k in range(seen, search.bound)]
        seen = search.bound

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(search.run)
        while not running.done() and time.perf_counter() - t0 < time_limit:
            wait([running], timeout=POLL_S)
            note_refuted()
        if not running.done():
            search.interrupt()
        placement = running.result()
    note_refuted()
    if placement is not None:
        row.seconds = time.perf_counter() - t0
        ids = [r.id for r in built.inst.requests]
        check = b2bmod.check_b2b(
            b2b, {int(ids[r].removeprefix("m")): s + 1 for r, s in placement.items()}
        )
        row.breaks = check.breaks
        row.problems += check.violations
        if row.optimum is not None and check.breaks != row.optimum:
            row.problems.append(f"{check.breaks} breaks, known optimum {row.optimum}")
    return row


def run_b2b_sat(
    directory: Path, time_limit: float, only: Iterable[str] = (), echo: Echo = print
) -> list[SatRow]:
    files = b2bmod.list_instances(directory, only)
    header(echo, f"B2B: the MaxSAT search alone ({len(files)} instances from {directory})")
    echo(
        "The breaks stage's search (`solver/breaks/maxsat.py`: CaDiCaL 1.9.5 in a child process, "
        '"at most K gap starts" for K = 0, 1, ...; every participant at most '
        f"{b2bmod.FAIRNESS} breaks) alone, "
        f"{time_limit:g} s per instance, one core busy. refuted = each K proven impossible "
        "(seconds from the start, the CNF's build included); schedule = seconds to the "
        "schedule at the optimum, its breaks re-counted "
        "from the .dzn file. `published s` = the paper's MaxSAT (UWrMaxSat, Xeon E3-1220v2)."
    )
    echo("")
    echo("| instance | opt | refuted K (s) | breaks | schedule s | published s | valid |")
    echo("|---|---|---|---|---|---|---|")
    rows = []
    for path in files:
        row = search_alone(b2bmod.parse_b2b(path), time_limit)
        rows.append(row)
        refuted = ", ".join(f"{k} ({s:.1f})" for k, s in row.refuted_at) or "-"
        published = b2bmod.MAXSAT_SECONDS.get(row.name)
        echo(
            f"| {row.name} | {row.optimum if row.optimum is not None else '?'} | {refuted} "
            f"| {row.breaks if row.breaks is not None else '-'} "
            f"| {f'{row.seconds:.1f}' if row.seconds is not None else '-'} "
            f"| {published if published is not None else '-'} "
            f"| {'; '.join(row.problems) or ('yes' if row.breaks is not None else '-')} |"
        )
    proven = [r for r in rows if r.breaks is not None and not r.problems]
    echo("")
    echo(
        f"Optimum found (all below it refuted) on {len(proven)}/{len(rows)}"
        + (
            f", {sum(r.seconds or 0 for r in proven):.1f} s together, worst "
            f"{max(r.seconds or 0 for r in proven):.1f} s."
            if proven
            else "."
        )
    )
    return rows
