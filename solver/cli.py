"""Command line: `articula solve` and `articula validate` (registered by app/cli.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from .greedy import greedy
from .models import Instance, Solution
from .solve import solve
from .validate import validate


def _load_instance(path: Path) -> Instance:
    return Instance.model_validate_json(path.read_text(encoding="utf-8"))


def solve_command(
    instance: Path = typer.Argument(..., exists=True, dir_okay=False, help="Instance JSON"),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds, all stages"),
    workers: int | None = typer.Option(None, "--workers", help="CP-SAT workers"),
    seed: int | None = typer.Option(None, "--seed", help="Random seed"),
    out: Path | None = typer.Option(None, "--out", help="Write the solution JSON here"),
    use_greedy: bool = typer.Option(False, "--greedy", help="Run the greedy baseline instead"),
) -> None:
    """Schedule INSTANCE and print a summary (and write the solution with --out)."""
    inst = _load_instance(instance)
    update = {
        k: v
        for k, v in {"time_limit_s": time_limit, "workers": workers, "seed": seed}.items()
        if v is not None
    }
    options = inst.options.model_copy(update=update)
    inst = inst.model_copy(update={"options": options})
    sol = greedy(inst) if use_greedy else solve(inst, options)
    typer.echo(f"{inst.name}: {sol.status} ({sol.solver}, {sol.seconds:.2f} s)")
    for st in sol.stages:
        obj = "-" if st.objective is None else f"{st.objective:g}"
        bound = "-" if st.bound is None else f"{st.bound:g}"
        gap = "-" if st.gap is None else f"{st.gap:.2%}"
        typer.echo(
            f"  {st.name:<9} {st.sense} {st.status:<10} objective {obj:>8} bound {bound:>8} "
            f"gap {gap:>7} {st.seconds:6.2f} s"
        )
    typer.echo(
        f"  scheduled {len(sol.assignments)}, unscheduled {len(sol.unscheduled)}, "
        f"weight {sol.scheduled_weight}, breaks {sol.breaks}"
    )
    if sol.conflicts:
        typer.echo("  conflicting mandatory requests: " + ", ".join(sol.conflicts))
    if out is not None:
        out.write_text(sol.model_dump_json(indent=2), encoding="utf-8")
        typer.echo(f"  solution written to {out}")


def validate_command(
    instance: Path = typer.Argument(..., exists=True, dir_okay=False, help="Instance JSON"),
    solution: Path = typer.Argument(..., exists=True, dir_okay=False, help="Solution JSON"),
) -> None:
    """Re-check SOLUTION against every hard rule of INSTANCE; exit 1 on a violation."""
    inst = _load_instance(instance)
    sol = Solution.model_validate_json(solution.read_text(encoding="utf-8"))
    report = validate(inst, sol)
    for v in report.violations:
        typer.echo(f"VIOLATION: {v}")
    typer.echo(
        f"{'ok' if report.ok else 'INVALID'}: weight {report.scheduled_weight}, "
        f"breaks {report.breaks_total}, min share {report.min_share}, changes {report.changes}"
    )
    if not report.ok:
        raise typer.Exit(code=1)


def register(cli: typer.Typer) -> None:
    """Add the `solve` and `validate` commands to the application's Typer app."""
    cli.command("solve")(solve_command)
    cli.command("validate")(validate_command)
