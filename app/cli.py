"""The `articula` command line (Typer)."""

from __future__ import annotations

import typer

cli = typer.Typer(
    help="Articula: scheduling and agendas for GORE / MUNI Ejecutivo.", no_args_is_help=True
)


def _register_solver_commands() -> None:
    """Offline solver commands (`solve`, `validate`) and `bench`, from the pure libraries."""
    from solver.cli import register as register_solver

    register_solver(cli)
    try:
        from bench.cli import bench_app
    except ImportError:  # bench/ is not installed in the production image
        return
    cli.add_typer(bench_app, name="bench")


def main() -> None:
    _register_solver_commands()
    cli()
