"""Benchmark runs: the public B2B family, generated GORE / MUNI editions, a smoke run.

Every solution (CP-SAT, greedy, HiGHS) goes through the product validator `solver.validate`;
B2B solutions are also re-checked against the .dzn file itself (`bench.b2b.check_b2b`).
Output is Markdown so it can be pasted into BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from solver import greedy, solve
from solver.models import Instance, Status

from . import b2b as b2bmod
from .generators import gore, muni, muni_multisector
from .harness import Echo, Timed, fmt, header, run_solver
from .highs import solve_highs
from .metrics import idle_slots, requested_weight
from .plain import solve_plain
from .replan import run_replan

# --------------------------------------------------------------------------- B2B


@dataclass
class B2BRow:
    name: str
    optimum: int | None
    cpsat: Timed
    greedy: Timed
    highs: Timed | None
    problems: list[str]


def _b2b_check(
    b: b2bmod.B2BInstance, run: Timed, optimum: int | None, label: str, complete: bool
) -> list[str]:
    """Bugs only: a validator failure, a disagreement between counts, a count below the known
    optimum, a proof or a bound that contradicts it."""
    out: list[str] = []
    sol = run.solution
    if sol is None:
        return out
    violations = run.violations
    if label == "greedy":  # documented: the greedy does not enforce break_fairness
        violations = [v for v in violations if "fairness" not in v]
    if run.valid is False and violations:
        out.append(f"{label}: validator: {'; '.join(violations[:3])}")
    if not sol.assignments:
        return out
    native = b2bmod.check_b2b(b, b2bmod.slots_from_solution(sol))
    native_v = native.violations
    if label == "greedy":
        native_v = [v for v in native_v if "fairness" not in v]
    if complete and native_v:
        out.append(f"{label}: .dzn check: {'; '.join(native_v[:3])}")
    if run.breaks_checked is not None and native.breaks != run.breaks_checked:
        out.append(f"{label}: breaks {native.breaks} (.dzn) != {run.breaks_checked} (validator)")
    if complete and native.ok and optimum is not None:
        if native.breaks < optimum:
            out.append(f"{label}: {native.breaks} breaks, below the known optimum {optimum}")
        st = run.stage("breaks")
        if st is not None and st.status == Status.OPTIMAL and native.breaks > optimum:
            out.append(f"{label}: claims optimal at {native.breaks} > known optimum {optimum}")
        if st is not None and st.bound is not None and st.bound > optimum + 1e-6:
            out.append(f"{label}: bound {st.bound} above the known optimum {optimum}")
    return out


def _complete(run: Timed, b: b2bmod.B2BInstance) -> bool:
    return run.solution is not None and len(run.solution.assignments) == b.n_meetings


def run_b2b(
    directory: Path,
    time_limit: float,
    workers: int,
    solutions_dir: Path | None,
    only: Iterable[str] = (),
    highs: bool = True,
    echo: Echo = print,
) -> list[B2BRow]:
    files = b2bmod.list_instances(directory, only)
    header(echo, f"B2B benchmark ({len(files)} instances from {directory})")
    echo(
        f"CP-SAT (`solver.solve`, {workers} workers; with a MaxSAT search, CaDiCaL in a child "
        "process, raced in its breaks stage where every meeting is a mandatory pair meeting, "
        "`solver/breaks/maxsat.py`) "
        f"and HiGHS (`bench.highs`) each get {time_limit:g} s per instance (all stages); "
        "greedy is `solver.greedy`. ttf = wall time to the first solution of the breaks stage; "
        "proof = wall time when the breaks stage ended proven optimal. `valid` = product "
        "validator AND a re-check against the .dzn file. `published s` = the paper's MaxSAT "
        "time to the proven optimum (UWrMaxSat)."
    )
    echo("")
    echo(
        "| instance | opt | CP-SAT status | breaks | bound | ttf s | proof s | valid "
        "| greedy | HiGHS status | breaks | bound | s | valid | published s |"
    )
    echo("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows: list[B2BRow] = []
    for path in files:
        b = b2bmod.parse_b2b(path)
        opt = b2bmod.KNOWN_OPTIMA.get(b.name)
        inst = b2bmod.to_instance(b, b2bmod.b2b_options(time_limit, workers))
        cp = run_solver(solve, inst, with_progress=True)
        gr = run_solver(greedy, inst, with_progress=False)
        hi = run_solver(solve_highs, inst, with_progress=True) if highs else None
        problems = _b2b_check(b, cp, opt, "CP-SAT", _complete(cp, b))
        problems += _b2b_check(b, gr, opt, "greedy", _complete(gr, b))
        if hi is not None:
            problems += _b2b_check(b, hi, opt, "HiGHS", _complete(hi, b))
        for label, run in (("CP-SAT", cp), ("greedy", gr), ("HiGHS", hi)):
            if run is not None and run.error:
                problems.append(f"{label} crashed: {run.error}")
        if solutions_dir is not None:
            for sub, run in (("", cp), ("greedy", gr), ("highs", hi)):
                if run is not None and run.solution is not None:
                    b2bmod.write_solution_file(
                        solutions_dir / sub if sub else solutions_dir, b.name, run.solution
                    )
        rows.append(B2BRow(b.name, opt, cp, gr, hi, problems))
        echo(_b2b_line(rows[-1], b))
    echo("")
    _b2b_summary(rows, time_limit, workers, highs, echo)
    return rows


def _cell_status(run: Timed, b: b2bmod.B2BInstance) -> tuple[str, str, str, str]:
    """status, breaks, bound, valid."""
    if run.error:
        return "crash", "-", "-", "no"
    sol = run.solution
    assert sol is not None
    st = run.stage("breaks")
    complete = _complete(run, b)
    breaks = str(sol.breaks) if complete else f"{len(sol.assignments)}/{b.n_meetings} placed"
    status = str(st.status) if st is not None else str(sol.status)
    valid = "-" if not sol.assignments else "yes" if run.valid else "NO"
    return status, breaks, fmt(st.bound if st else None), valid


def _b2b_line(row: B2BRow, b: b2bmod.B2BInstance) -> str:
    cs, cb, cbound, cv = _cell_status(row.cpsat, b)
    st = row.cpsat.stage("breaks")
    proof = (
        fmt(row.cpsat.solution.seconds)
        if row.cpsat.solution is not None and st is not None and st.status == Status.OPTIMAL
        else "-"
    )
    ttf = fmt(row.cpsat.first("breaks"))
    g = row.greedy
    if g.error:
        gcell = "crash"
    elif g.solution is not None and _complete(g, b):
        unfair = any("fairness" in v for v in g.violations)
        gcell = f"{g.solution.breaks}" + (
            "" if g.valid else " (unfair)" if unfair and len(g.violations) == 1 else " INVALID"
        )
    else:
        placed = len(g.solution.assignments) if g.solution else 0
        gcell = f"fail ({placed}/{b.n_meetings})"
    if row.highs is None:
        hcells = ["skipped", "-", "-", "-", "-"]
    else:
        hs, hb, hbound, hv = _cell_status(row.highs, b)
        secs = fmt(row.highs.solution.seconds) if row.highs.solution else "-"
        hcells = [hs, hb, hbound, secs, hv]
    maxsat = fmt(b2bmod.MAXSAT_SECONDS.get(row.name))
    cells = [row.name, fmt(row.optimum), cs, cb, cbound, ttf, proof, cv, gcell, *hcells, maxsat]
    line = "| " + " | ".join(cells) + " |"
    if row.problems:
        line += "\n" + "\n".join(f"  - BUG {row.name}: {p}" for p in row.problems)
    return line


def _b2b_summary(rows: list[B2BRow], limit: float, workers: int, highs: bool, echo: Echo) -> None:
    def proved(run: Timed | None) -> list[float]:
        out = []
        for r in [run] if run else []:
            st = r.stage("breaks")
            if r.solution is not None and st is not None and st.status == Status.OPTIMAL:
                out.append(r.solution.seconds)
        return out

    def at_optimum(run: Timed | None, opt: int | None) -> bool:
        return (
            run is not None
            and run.solution is not None
            and run.valid is True
            and opt is not None
            and run.solution.breaks == opt
            and run.solution.status != Status.INFEASIBLE
        )

    n = len(rows)
    cp_proofs = [t for r in rows for t in proved(r.cpsat)]
    cp_opt = sum(at_optimum(r.cpsat, r.optimum) for r in rows)
    echo(
        f"- CP-SAT: proved optimal {len(cp_proofs)}/{n} within {limit:g} s "
        f"(sum of proof times {sum(cp_proofs):.1f} s, worst {max(cp_proofs, default=0):.1f} s); "
        f"reached the known optimum (proved or not) on {cp_opt}/{n}."
    )
    if highs:
        hi_proofs = [t for r in rows for t in proved(r.highs)]
        hi_opt = sum(at_optimum(r.highs, r.optimum) for r in rows)
        echo(
            f"- HiGHS MIP: proved optimal {len(hi_proofs)}/{n} within {limit:g} s "
            f"(sum {sum(hi_proofs):.1f} s); reached the known optimum on {hi_opt}/{n}."
        )
    placed = [
        r for r in rows if r.greedy.solution is not None and not r.greedy.solution.unscheduled
    ]
    fair = [r for r in placed if r.greedy.valid]
    echo(
        f"- greedy: placed every meeting on {len(placed)}/{n}; of those, {len(fair)} also meet "
        "the fairness rule (the greedy does not look at breaks, by design)."
    )
    subset = [b2bmod.MAXSAT_SECONDS[r.name] for r in rows if r.name in b2bmod.MAXSAT_SECONDS]
    echo(
        f"- Published (Bofill et al., JAIR 2022): MaxSAT (UWrMaxSat imp12+, Xeon E3-1220v2, "
        f"7200 s limit) proves all 20, about 81 s in total, worst 23.3 s "
        f"(these {len(subset)} instances: {sum(subset):.1f} s); Chuffed 18/20 and CPLEX 14/20 "
        "in 2 h; a plain CP-SAT Boolean model about 8/20 in 60 s on 2 cores."
    )
    bugs = [p for r in rows for p in r.problems]
    echo(f"- bugs found by the checks: {len(bugs)}")
    echo("")


# --------------------------------------------------------------------------- GORE / MUNI


def run_generated(
    kind: str,
    seed: int,
    time_limit: float,
    workers: int,
    highs: bool = True,
    echo: Echo = print,
) -> dict[str, Timed]:
    make = {"gore": gore, "muni": muni, "muni-multisector": muni_multisector}[kind]
    inst = make(seed=seed, time_limit_s=time_limit)
    inst = inst.model_copy(update={"options": inst.options.model_copy(update={"workers": workers})})
    header(echo, f"{kind.upper()} generated instance {inst.name} (seed {seed})")
    n_del = sum(1 for p in inst.parties if p.kind == "delegation")
    n_sec = sum(1 for p in inst.parties if p.kind == "sector")
    echo(
        f"{n_del} delegations, {n_sec} sector parties, {len(inst.requests)} requests "
        f"({sum(r.mandatory for r in inst.requests)} mandatory, "
        f"{sum(len(r.parties) > 2 for r in inst.requests)} multisector), "
        f"{inst.grid.n_slots} slots, {len(inst.rooms)} rooms, requested weight "
        f"{requested_weight(inst)}. CP-SAT and HiGHS get {time_limit:g} s each (all stages), "
        f"{workers} workers/threads."
    )
    echo("")
    runs: dict[str, Timed] = {"CP-SAT": run_solver(solve, inst, with_progress=True)}
    runs["greedy"] = run_solver(greedy, inst, with_progress=False)
    if highs:
        runs["HiGHS"] = run_solver(solve_highs, inst, with_progress=True)
    echo("| solver | stage | sense | status | objective | bound | gap | stage s | first sol. s |")
    echo("|---|---|---|---|---|---|---|---|---|")
    for label, run in runs.items():
        if run.error or run.solution is None:
            echo(f"| {label} | - | - | crash: {run.error} | - | - | - | - | - |")
            continue
        if not run.solution.stages:
            echo(
                f"| {label} | - | - | {run.solution.status} | - | - | - | "
                f"{fmt(run.solution.seconds, 2)} | - |"
            )
        for st in run.solution.stages:
            gap = "-" if st.gap is None else f"{st.gap:.2%}"
            echo(
                f"| {label} | {st.name} | {st.sense} | {st.status} | {fmt(st.objective, 3)} "
                f"| {fmt(st.bound, 3)} | {gap} | {fmt(st.seconds, 2)} "
                f"| {fmt(run.first(st.name), 2)} |"
            )
    echo("")
    echo(
        "| solver | status | scheduled | scheduled weight | of requested | breaks "
        "| idle slots (% of meetings) | s | valid |"
    )
    echo("|---|---|---|---|---|---|---|---|---|")
    total = requested_weight(inst)
    for label, run in runs.items():
        sol = run.solution
        if sol is None:
            continue
        valid = "yes" if run.valid else "NO: " + "; ".join(run.violations[:2])
        idle = idle_slots(inst, sol.assignments)
        echo(
            f"| {label} | {sol.status} | {len(sol.assignments)}/{len(inst.requests)} "
            f"| {sol.scheduled_weight} | {sol.scheduled_weight / max(1, total):.1%} "
            f"| {sol.breaks} | {idle} ({idle / max(1, len(sol.assignments)):.1%}) "
            f"| {fmt(sol.seconds, 2)} | {valid} |"
        )
    echo("")
    return runs


# --------------------------------------------------------------------------- smoke / all

SMOKE_B2B = ("tic-12", "tic-13", "forumt-14crafd")


SMOKE_REPLANS = (("gore", 0), ("muni", 1))  # MUNI seed 1: where a re-plan moved 384 meetings


def smoke(directory: Path, solutions_dir: Path | None, echo: Echo = print) -> int:
    """About 3.5 minutes. Returns the number of failures (invalid solutions, counts below
    optima, crashes, a re-plan that changes more than a tenth of the plan)."""
    failures = 0
    if directory.is_dir():
        rows = run_b2b(directory, 10.0, 2, solutions_dir, SMOKE_B2B, highs=True, echo=echo)
        failures += sum(len(r.problems) for r in rows)
    else:
        echo(f"B2B directory {directory} missing: B2B part skipped")
        failures += 1
    runs = run_generated("gore", 0, 10.0, 2, highs=True, echo=echo)
    for label, run in runs.items():
        if run.error or run.valid is not True:
            echo(f"- FAIL GORE {label}: {run.error or '; '.join(run.violations[:3])}")
            failures += 1

    # the over-asked MUNI edition with multisector meetings and unavailability, at a small
    # budget (HiGHS does not finish its first LP at that size)
    runs = run_generated("muni-multisector", 0, 10.0, 2, highs=False, echo=echo)
    for label, run in runs.items():
        if run.error or run.valid is not True:
            echo(f"- FAIL MUNI multisector {label}: {run.error or '; '.join(run.violations[:3])}")
            failures += 1

    # at the app's default limit (30 s), which the product's re-plans run with
    for family, seed in SMOKE_REPLANS:
        replans = run_replan(family, seed, 30.0, 2, echo)
        planned = len(replans["plan"]["CP-SAT"].solution.assignments)
        for event, by in replans.items():
            for label, run in by.items():
                if run.error or run.valid is not True:
                    problem = run.error or run.violations[:3]
                    echo(f"- FAIL {family} re-plan {event} {label}: {problem}")
                    failures += 1
                elif event != "plan" and label == "CP-SAT" and run.changes > planned // 10:
                    echo(
                        f"- FAIL {family} re-plan {event}: {run.changes} of {planned} "
                        "meetings changed"
                    )
                    failures += 1
    echo(f"smoke: {failures} failure(s)")
    return failures


def run_all(
    directory: Path,
    solutions_dir: Path | None,
    b2b_limit: float,
    gen_limit: float,
    echo: Echo = print,
) -> int:
    rows = run_b2b(directory, b2b_limit, 2, solutions_dir, (), highs=True, echo=echo)
    failures = sum(len(r.problems) for r in rows)
    for kind in ("gore", "muni"):
        runs = run_generated(kind, 0, gen_limit, 2, highs=True, echo=echo)
        failures += sum(1 for r in runs.values() if r.error or r.valid is not True)
    echo(f"all: {failures} failure(s)")
    return failures


# --------------------------------------------------------------------------- against plain CP-SAT


def versus_plain(
    instances: Iterable[Instance], workers: int, echo: Echo = print
) -> list[tuple[Instance, Timed, Timed]]:
    """Each instance solved by `solver.solve` and by the plain CP-SAT baseline
    (bench/plain.py), one after the other at the instance's time limit; both validated. A
    table per instance: every stage's status, objective, bound and seconds side by side."""
    out: list[tuple[Instance, Timed, Timed]] = []
    echo("| instance | solver | stage | status | objective | bound | stage s | total s | valid |")
    echo("|---|---|---|---|---|---|---|---|---|")
    for inst in instances:
        inst = inst.model_copy(
            update={"options": inst.options.model_copy(update={"workers": workers})}
        )
        ours = run_solver(solve, inst, with_progress=True)
        plain = run_solver(solve_plain, inst, with_progress=False)
        for label, run in (("CP-SAT", ours), ("plain", plain)):
            sol = run.solution
            if run.error or sol is None:
                echo(f"| {inst.name} | {label} | - | crash: {run.error} | - | - | - | - | - |")
                continue
            valid = "yes" if run.valid else "NO: " + "; ".join(run.violations[:2])
            for st in sol.stages or [None]:
                echo(
                    f"| {inst.name} | {label} | {st.name if st else '-'} "
                    f"| {st.status if st else sol.status} | {fmt(st.objective if st else None)} "
                    f"| {fmt(st.bound if st else None)} | {fmt(st.seconds if st else None, 2)} "
                    f"| {fmt(sol.seconds, 2)} | {valid} |"
                )
        out.append((inst, ours, plain))
    echo("")
    return out
