"""`python -m bench ...` (Typer)."""

from __future__ import annotations

from pathlib import Path

import typer

from solver.models import Instance

from . import b2b as b2bmod
from . import home, load, pages, replan, run, satsearch
from .generators import b2b_constrained, gore, muni_multisector, seventh_edition
from .harness import header

bench_app = typer.Typer(
    help="Benchmarks: the public B2B family, generated GORE / MUNI editions, smoke.",
    no_args_is_help=True,
)

OUT = Path(__file__).resolve().parent / "out"

# The public B2B files live outside the repository: their folder is given on the command line or
# in ARTICULA_B2B_DIR, and there is no default.
_B2B_DIR_HELP = "Folder with the B2B .dzn files"
B2B_DIR_ARGUMENT = typer.Argument(
    ..., envvar=b2bmod.B2B_DIR_ENV, exists=True, file_okay=False, help=_B2B_DIR_HELP
)
B2B_DIR_OPTION = typer.Option(
    ..., "--dir", envvar=b2bmod.B2B_DIR_ENV, exists=True, file_okay=False, help=_B2B_DIR_HELP
)


@bench_app.command("b2b")
def b2b_command(
    directory: Path = B2B_DIR_ARGUMENT,
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds per instance and solver"),
    workers: int = typer.Option(2, "--workers", help="CP-SAT workers / HiGHS threads"),
    solutions_dir: Path | None = typer.Option(
        OUT / "b2b", "--solutions-dir", help="Write OUT/<instance>.json (1-based)"
    ),
    only: list[str] = typer.Option([], "--only", help="Instance name (repeatable)"),
    highs: bool = typer.Option(True, "--highs/--no-highs", help="Also run the HiGHS MIP"),
) -> None:
    """Solve the B2B benchmark with CP-SAT, greedy and HiGHS; validate every solution."""
    rows = run.run_b2b(directory, time_limit, workers, solutions_dir, only, highs, typer.echo)
    if any(r.problems for r in rows):
        raise typer.Exit(code=1)


@bench_app.command("b2b-sat")
def b2b_sat_command(
    directory: Path = B2B_DIR_ARGUMENT,
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds per instance"),
    only: list[str] = typer.Option([], "--only", help="Instance name (repeatable)"),
) -> None:
    """The breaks stage's MaxSAT search (CaDiCaL) alone on each B2B instance: when each
    bound was proven and when the optimum's schedule came, against the paper's MaxSAT."""
    rows = satsearch.run_b2b_sat(directory, time_limit, only, typer.echo)
    if any(r.problems for r in rows):
        raise typer.Exit(code=1)


def _generated(kind: str, seed: int, time_limit: float, workers: int, highs: bool) -> None:
    runs = run.run_generated(kind, seed, time_limit, workers, highs, typer.echo)
    if any(r.error or r.valid is not True for r in runs.values()):
        raise typer.Exit(code=1)


@bench_app.command("gore")
def gore_command(
    seed: int = typer.Option(0, "--seed"),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds per solver"),
    workers: int = typer.Option(2, "--workers"),
    highs: bool = typer.Option(True, "--highs/--no-highs"),
) -> None:
    """A generated GORE Ejecutivo edition (26 x 19, ~350 requests): CP-SAT, greedy, HiGHS."""
    _generated("gore", seed, time_limit, workers, highs)


@bench_app.command("muni")
def muni_command(
    seed: int = typer.Option(0, "--seed"),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds per solver"),
    workers: int = typer.Option(2, "--workers"),
    highs: bool = typer.Option(True, "--highs/--no-highs"),
) -> None:
    """A generated MUNI Ejecutivo edition (600 x 20, 2 days, ~2,400 requests)."""
    _generated("muni", seed, time_limit, workers, highs)


@bench_app.command("muni-multisector")
def muni_multisector_command(
    seed: int = typer.Option(0, "--seed"),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds per solver"),
    workers: int = typer.Option(2, "--workers"),
    highs: bool = typer.Option(False, "--highs/--no-highs"),
) -> None:
    """A generated MUNI edition of 600 municipalities x 20 ministers, 2 days, 2,385 requests,
    5-10 % multisector, unavailability windows: CP-SAT and greedy (HiGHS on request)."""
    _generated("muni-multisector", seed, time_limit, workers, highs)


@bench_app.command("replan")
def replan_command(
    family: str = typer.Option("gore", "--family", help="gore or muni"),
    seed: int = typer.Option(0, "--seed"),
    time_limit: float = typer.Option(
        30.0, "--time-limit", help="Seconds for the plan and each re-plan"
    ),
    workers: int = typer.Option(2, "--workers"),
) -> None:
    """Plan a generated edition, then re-plan it after a minister is called away, a governor
    leaves early, meetings are withdrawn and a request is added (CP-SAT and greedy)."""
    if family not in replan.GENERATORS:
        raise typer.BadParameter(f"unknown family {family!r}: gore or muni")
    runs = replan.run_replan(family, seed, time_limit, workers, typer.echo)
    if any(r.error or r.valid is not True for by in runs.values() for r in by.values()):
        raise typer.Exit(code=1)


@bench_app.command("home-rooms")
def home_rooms_command(
    seeds: list[int] = typer.Option([0, 1], "--seed", help="Generated GORE seeds"),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds for each solve"),
    workers: int = typer.Option(2, "--workers"),
) -> None:
    """Home rooms off and on, side by side: the 7th-edition example and GORE editions."""
    if not home.run_home_rooms(seeds, time_limit, workers, typer.echo):
        raise typer.Exit(code=1)


@bench_app.command("replan-seventh")
def replan_seventh_command(
    sector: str = typer.Option("MINSA", "--sector"),
    slots: int = typer.Option(3, "--slots", help="Slots in a row the sector is away"),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds for each solve"),
    workers: int = typer.Option(2, "--workers"),
) -> None:
    """The 7th-edition example, a minister away for a few slots: the re-plan with the
    keeping rules and without them, side by side."""
    runs = replan.run_seventh_away(sector, slots, time_limit, workers, typer.echo)
    if any(r.error or r.valid is not True for r in runs.values()):
        raise typer.Exit(code=1)


@bench_app.command("pages")
def pages_command(
    repeat: int = typer.Option(20, "--repeat", help="Timed requests per page"),
    muni: bool = typer.Option(True, "--muni/--no-muni", help="Also the MUNI-size grid"),
    time_limit: float = typer.Option(10.0, "--time-limit", help="CP-SAT seconds (GORE)"),
) -> None:
    """Server time of every web page at GORE size and of a MUNI-size grid (in-process)."""
    pages.run_pages(repeat=repeat, muni=muni, time_limit=time_limit, echo=typer.echo)


@bench_app.command("load")
def load_command(
    clients: int = typer.Option(50, "--clients", help="Concurrent clients"),
    seconds: float = typer.Option(20.0, "--seconds", help="Length of the mixed-load phase"),
    stream_seconds: float = typer.Option(
        10.0, "--stream-seconds", help="Length of each half of the event-stream phase"
    ),
    streams: int = typer.Option(60, "--streams", help="Event streams open in phase 2"),
    database_url: str | None = typer.Option(
        None, "--database-url", help="An empty PostgreSQL database (default: a fresh SQLite file)"
    ),
    time_limit: float = typer.Option(10.0, "--time-limit", help="CP-SAT seconds of the setup"),
    gate: bool = typer.Option(False, "--gate/--no-gate", help="Exit 1 on a missed target too"),
) -> None:
    """A real server under --clients concurrent clients: health, topic submissions, agenda
    PDFs, edition list; then /api/me with --streams event streams of a running solve open.
    Exit 1 on errors (5xx, transport, unexpected status), with --gate on missed targets."""
    failed = load.run_load(
        clients=clients,
        seconds=seconds,
        stream_seconds=stream_seconds,
        streams=streams,
        database_url=database_url,
        time_limit=time_limit,
        gate=gate,
        echo=typer.echo,
    )
    if failed:
        raise typer.Exit(code=1)


@bench_app.command("smoke")
def smoke_command(
    directory: Path = B2B_DIR_OPTION,
    solutions_dir: Path | None = typer.Option(OUT / "smoke", "--solutions-dir"),
) -> None:
    """3 small B2B instances (10 s), a GORE instance (10 s), a MUNI multisector edition
    (10 s), and a GORE and a MUNI plan with four re-plans each (30 s each); exit 1 on any
    invalid solution, a break count below a known optimum or a re-plan that changes more than
    a tenth of the plan."""
    if run.smoke(directory, solutions_dir, typer.echo):
        raise typer.Exit(code=1)


@bench_app.command("all")
def all_command(
    directory: Path = B2B_DIR_OPTION,
    solutions_dir: Path | None = typer.Option(OUT / "b2b", "--solutions-dir"),
    b2b_limit: float = typer.Option(60.0, "--b2b-time-limit"),
    gen_limit: float = typer.Option(30.0, "--gen-time-limit"),
) -> None:
    """Everything: B2B at 60 s per instance and solver, GORE and MUNI at 30 s."""
    if run.run_all(directory, solutions_dir, b2b_limit, gen_limit, typer.echo):
        raise typer.Exit(code=1)


@bench_app.command("versus")
def versus_command(
    family: str = typer.Option(
        "muni-multisector",
        "--family",
        help="muni-multisector, b2b-constrained, gore or gore-7th (the 7th edition's size)",
    ),
    seeds: list[int] = typer.Option([0], "--seed", help="Generator seed (repeatable)"),
    time_limit: float = typer.Option(30.0, "--time-limit", help="Seconds per solver"),
    workers: int = typer.Option(2, "--workers"),
    directory: Path | None = typer.Option(
        None, "--dir", envvar=b2bmod.B2B_DIR_ENV, help=_B2B_DIR_HELP + " (b2b-constrained)"
    ),
    only: list[str] = typer.Option([], "--only", help="B2B instance name (repeatable)"),
    files: list[Path] = typer.Option(
        [], "--instance", exists=True, help="Instance JSON files instead of a family (repeatable)"
    ),
) -> None:
    """The product against the plain CP-SAT model (bench/plain.py) at equal time, on the MUNI
    multisector family, the B2B family with precedences, pins and forbidden slots, or the
    generated GORE editions."""
    if files:
        instances = [Instance.model_validate_json(path.read_text()) for path in files]
        family = "instance files"
    elif family == "muni-multisector":
        instances = [muni_multisector(seed=s, time_limit_s=time_limit) for s in seeds]
    elif family == "gore":
        instances = [gore(seed=s, time_limit_s=time_limit) for s in seeds]
    elif family == "gore-7th":
        instances = [seventh_edition(time_limit_s=time_limit)]
    elif family == "b2b-constrained":
        if directory is None or not directory.is_dir():
            raise typer.BadParameter(f"b2b-constrained needs --dir or {b2bmod.B2B_DIR_ENV}")
        options = b2bmod.b2b_options(time_limit_s=time_limit, workers=workers)
        instances = [
            b2b_constrained(b2bmod.to_instance(b2bmod.parse_b2b(path), options), seed=s)
            for path in b2bmod.list_instances(directory, only)
            for s in seeds
        ]
    else:
        raise typer.BadParameter(f"unknown family {family!r}")
    header(typer.echo, f"{family}: solver.solve against plain CP-SAT, {time_limit:g} s each")
    runs = run.versus_plain(instances, workers, typer.echo)
    if any(r.error or r.valid is not True for _, *pair in runs for r in pair):
        raise typer.Exit(code=1)
