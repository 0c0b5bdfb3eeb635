"""What every benchmark run shares: the header (date, machine, commit, load), a timed solver
call whose solution goes through the product validator, and number formatting."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ortools

from solver import validate
from solver.models import Instance, ProgressEvent, Solution, StageResult

Echo = Callable[[str], None]


def machine() -> str:
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, "
        f"os.cpu_count()={os.cpu_count()}, Python {platform.python_version()}, "
        f"{_versions()}"
    )


def _git_state() -> str:
    """The commit measured, and whether solver/ or bench/ differ from it."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "solver", "bench"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown (no git)"
    return f"commit {head}" + (" + uncommitted changes in solver/ or bench/" if dirty else "")


def _versions() -> str:
    out = [f"OR-Tools {ortools.__version__}"]
    try:
        out.append(f"highspy {importlib.metadata.version('highspy')}")
    except importlib.metadata.PackageNotFoundError:  # highspy is a dev dependency
        pass
    return ", ".join(out)


def header(echo: Echo, what: str) -> None:
    echo(f"## {what}")
    echo("")
    echo(f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    echo(f"- machine: {machine()}")
    echo(f"- code: {_git_state()}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    echo(f"- load average at start (1, 5, 15 min): {load} (other processes share the cores)")
    echo("")


@dataclass
class Timed:
    """A solver run with wall-clock times of the progress events."""

    solution: Solution | None = None
    error: str | None = None
    events: list[tuple[float, ProgressEvent]] = field(default_factory=list)
    valid: bool | None = None
    violations: list[str] = field(default_factory=list)
    breaks_checked: int | None = None
    changes: int | None = None  # re-plans: counted by the validator

    def first(self, stage: str) -> float | None:
        return next((t for t, e in self.events if e.stage == stage), None)

    def stage(self, name: str) -> StageResult | None:
        if self.solution is None:
            return None
        return next((s for s in self.solution.stages if s.name == name), None)


def run_solver(fn: Callable[..., Solution], instance: Instance, with_progress: bool) -> Timed:
    out = Timed()
    t0 = time.perf_counter()

    def cb(ev: ProgressEvent) -> None:
        out.events.append((time.perf_counter() - t0, ev))

    try:
        out.solution = fn(instance, progress=cb) if with_progress else fn(instance)
    except Exception as exc:  # a crash is a result too, reported in the table
        out.error = f"{type(exc).__name__}: {exc}"[:120]
        return out
    report = validate(instance, out.solution)
    out.valid = report.ok
    out.violations = list(report.violations)
    out.breaks_checked = report.breaks_total
    out.changes = report.changes
    return out


def fmt(v: float | None, digits: int = 1) -> str:
    if v is None:
        return "-"
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.{digits}f}"
