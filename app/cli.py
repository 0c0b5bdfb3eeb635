"""The `articula` command line (Typer)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, select

import app.main  # noqa: F401  (every table and every job registered, for the worker)
from app.access.service import create_key, list_keys, revoke_key
from app.access.users import create_user, disable_user, get_user_by_email, list_users
from app.core import backup as backups
from app.core import clock, jobs, logs
from app.core.config import Settings
from app.core.db import make_engine
from app.core.errors import DomainError, NotFound
from app.core.migrations import downgrade, upgrade
from app.core.pagination import Pagination
from app.demo import load_demo
from app.editions.models import Delegation, Sector
from app.mail.service import hold_queued, release_held
from solver.cli import register as register_solver_commands

cli = typer.Typer(
    help="Articula: scheduling and agendas for GORE / MUNI Ejecutivo.", no_args_is_help=True
)
db_app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
cli.add_typer(db_app, name="db")
users_app = typer.Typer(help="Web accounts (people): create, list, disable.", no_args_is_help=True)
cli.add_typer(keys_app, name="keys")
cli.add_typer(users_app, name="users")
outbox_app = typer.Typer(help="The e-mail outbox: release held messages.", no_args_is_help=True)
cli.add_typer(outbox_app, name="outbox")


def _settings() -> Settings:
    return Settings()


@contextmanager
def _session() -> Iterator[Session]:
    """One committed transaction against the configured database."""
    engine = make_engine(_settings().database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()
    finally:
        engine.dispose()


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Option("head", "--revision", help="Target revision"),
) -> None:
    """Migrate the database up to REVISION (head by default)."""
    upgrade(_settings().database_url, revision)
    typer.echo(f"Database migrated to {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base")) -> None:
    """Migrate the database down to REVISION."""
    downgrade(_settings().database_url, revision)
    typer.echo(f"Database migrated down to {revision}.")


@cli.command()
def demo() -> None:
    """Load the demo data (26 delegations, sectors, the 12.º GORE Ejecutivo); idempotent."""
    try:
        with _session() as session:
            result = load_demo(session=session)
    except (OperationalError, ProgrammingError) as exc:
        _fail(f"The database is not ready ({exc.orig}); run `articula db upgrade` first.")
        return
    typer.echo(
        f"Delegations created: {result.created_delegations}; sectors created: "
        f"{result.created_sectors}; edition created: {'yes' if result.edition_created else 'no'}; "
        f"past commitments imported: {result.commitments_imported}."
    )
    if result.keys:
        typer.echo("\nAPI keys (shown only now; only their hashes are stored):")
        for label, token in result.keys:
            typer.echo(f"  {label:<40} {token}")
    else:
        typer.echo(
            "Demo API keys already exist and cannot be shown again; create a new one with "
            "`articula keys create --role sd_admin --name 'SD'`."
        )
    if result.accounts:
        typer.echo("\nWeb accounts (log in at / ; passwords shown only now):")
        for email, name, password in result.accounts:
            typer.echo(f"  {name:<32} {email:<34} {password}")
    else:
        typer.echo(
            "Demo web accounts already exist; create another one with `articula users create`."
        )


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (ARTICULA_HOST)"),
    port: int | None = typer.Option(None, help="Port (ARTICULA_PORT)"),
    reload: bool = typer.Option(False, help="Reload on code changes (development)"),
) -> None:
    """Serve the API with uvicorn (OpenAPI at /docs)."""
    settings = _settings()
    logs.configure()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        log_config=None,  # logs.configure: JSON lines, the request id on each
        access_log=False,  # the RequestContext middleware logs every request
    )


@cli.command()
def worker(
    concurrency: int = typer.Option(1, min=1, max=64, help="Jobs run at once by this process"),
    queues: str | None = typer.Option(None, help="Comma-separated queues (default: all)"),
    wait: bool = typer.Option(True, help="--no-wait: stop once the queue is empty"),
) -> None:
    """Run background jobs from the procrastinate queue (ARTICULA_JOBS_BACKEND=procrastinate);
    start as many workers, on as many machines, as needed."""
    settings = _settings()
    job_settings = Settings()
    if job_settings.jobs_backend != "procrastinate" or settings.is_sqlite:
        _fail(
            "The worker needs ARTICULA_JOBS_BACKEND=procrastinate and a PostgreSQL "
            "ARTICULA_DATABASE_URL; with the embedded backend `articula serve` runs the jobs."
        )
        return
    logs.configure()
    engine = make_engine(settings.database_url)
    jobs.use_engine(engine, job_settings)
    papp = jobs.procrastinate_app(settings.database_url, settings=job_settings)
    try:
        papp.run_worker(
            concurrency=concurrency,
            queues=[q.strip() for q in queues.split(",") if q.strip()] if queues else None,
            wait=wait,
            name=f"articula-{socket.gethostname()}",
        )
    finally:
        engine.dispose()


@cli.command("backup")
def backup_command(
    path: Path = typer.Argument(..., help="Backup file to write (must not exist)"),
) -> None:
    """Write a consistent backup of the database while the service runs (SQLite's online
    backup API, or pg_dump for PostgreSQL)."""
    try:
        info = backups.backup(database_url=_settings().database_url, target=path)
    except backups.BackupError as exc:
        _fail(str(exc))
        return
    typer.echo(f"Backup ({info.kind}, {info.size} bytes) written to {info.path}.")


@cli.command("restore")
def restore_command(
    path: Path = typer.Argument(..., help="Backup file written by `articula backup`"),
    yes: bool = typer.Option(False, "--yes", help="Replace the database without asking"),
) -> None:
    """Replace the database with a backup (stop the service first). E-mails that were
    queued at backup time are held until the SD releases them (`articula outbox release`)."""
    settings = _settings()
    if not yes:
        typer.confirm(f"Replace the database {settings.database_url} with {path}?", abort=True)
    try:
        backups.restore(database_url=settings.database_url, source=path)
    except backups.BackupError as exc:
        _fail(str(exc))
        return
    with _session() as session:
        held = hold_queued(
            session=session,
            now=clock.now(),
            detail=f"retenido al restaurar el respaldo {path.name}; la SD decide si se envía",
        )
    typer.echo(
        f"Database restored from {path}. {held} queued e-mail(s) held: review them in the "
        "delivery log and release them with `articula outbox release`."
    )


@outbox_app.command("release")
def outbox_release(
    edition: int | None = typer.Option(None, help="Only this edition's messages (its id)"),
) -> None:
    """Return held e-mails (after a restore) to the queue; they are sent at the next dispatch."""
    with _session() as session:
        released = release_held(session=session, now=clock.now(), edition_id=edition)
    typer.echo(f"{released} e-mail(s) released.")


@keys_app.command("create")
def keys_create(
    role: str = typer.Option(..., help="sd_admin, delegation, sector or rapporteur"),
    name: str = typer.Option(..., help="Who holds the key"),
    delegation: str | None = typer.Option(None, help="Delegation code (role delegation)"),
    sector: str | None = typer.Option(None, help="Sector code (role sector)"),
) -> None:
    """Create an API key and print its token (shown only once)."""
    with _session() as session:
        delegation_id = sector_id = None
        if delegation:
            row = session.exec(select(Delegation).where(Delegation.code == delegation)).first()
            if row is None:
                _fail(f"No delegation with code {delegation}.")
            delegation_id = row.id if row else None
        if sector:
            found = session.exec(select(Sector).where(Sector.code == sector)).first()
            if found is None:
                _fail(f"No sector with code {sector}.")
            sector_id = found.id if found else None
        try:
            key, token = create_key(
                session=session,
                role=role,
                name=name,
                delegation_id=delegation_id,
                sector_id=sector_id,
            )
        except (ValueError, ValidationError, DomainError) as exc:
            _fail(f"Cannot create the key: {exc}")
            return
        typer.echo(f"Key {key.id} ({key.role}, {key.name}) created. Token (shown only now):")
        typer.echo(token)


@keys_app.command("list")
def keys_list(
    all_keys: bool = typer.Option(False, "--all", help="Include revoked keys"),
) -> None:
    """List keys (id, prefix, role, name, created, revoked)."""
    with _session() as session:
        page = list_keys(
            session=session, page=Pagination(limit=10_000, offset=0), include_revoked=all_keys
        )
        for key in page.items:
            revoked = f" revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else ""
            typer.echo(
                f"{key.id:>5}  {key.key_prefix}…  {key.role:<11} {key.name}"
                f"  (created {key.created_at:%Y-%m-%d %H:%M}){revoked}"
            )
        typer.echo(f"{page.total} key(s).")


@keys_app.command("revoke")
def keys_revoke(key_id: int = typer.Argument(..., help="Id shown by `articula keys list`")) -> None:
    """Revoke a key at once."""
    with _session() as session:
        try:
            key = revoke_key(session=session, key_id=key_id)
        except NotFound:
            _fail(f"No key with id {key_id}.")
            return
        typer.echo(f"Key {key.id} ({key.name}) revoked.")


def _scope_ids(
    session: Session, delegation: str | None, sector: str | None
) -> tuple[int | None, int | None]:
    """Delegation and sector ids from their codes (exits when a code is unknown)."""
    delegation_id = sector_id = None
    if delegation:
        row = session.exec(select(Delegation).where(Delegation.code == delegation)).first()
        if row is None:
            _fail(f"No delegation with code {delegation}.")
        delegation_id = row.id if row else None
    if sector:
        found = session.exec(select(Sector).where(Sector.code == sector)).first()
        if found is None:
            _fail(f"No sector with code {sector}.")
        sector_id = found.id if found else None
    return delegation_id, sector_id


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="Login e-mail"),
    name: str = typer.Option(..., help="Full name shown on the pages"),
    role: str = typer.Option(..., help="sd_admin, delegation, sector or rapporteur"),
    delegation: str | None = typer.Option(None, help="Delegation code (role delegation)"),
    sector: str | None = typer.Option(None, help="Sector code (role sector)"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters"
    ),
) -> None:
    """Create a web account (asks for the password when --password is not given)."""
    with _session() as session:
        delegation_id, sector_id = _scope_ids(session, delegation, sector)
        try:
            user = create_user(
                session=session,
                email=email,
                name=name,
                password=password,
                role=role,
                delegation_id=delegation_id,
                sector_id=sector_id,
            )
        except (ValueError, DomainError) as exc:
            _fail(f"Cannot create the account: {exc}")
            return
        typer.echo(f"Account {user.id} ({user.role}, {user.email}) created.")


@users_app.command("list")
def users_list(
    all_users: bool = typer.Option(False, "--all", help="Include disabled accounts"),
) -> None:
    """List accounts (id, e-mail, role, name, created, disabled)."""
    with _session() as session:
        page = list_users(
            session=session, page=Pagination(limit=10_000, offset=0), include_disabled=all_users
        )
        for user in page.items:
            disabled = f" disabled {user.disabled_at:%Y-%m-%d %H:%M}" if user.disabled_at else ""
            typer.echo(
                f"{user.id:>5}  {user.email:<34} {user.role:<11} {user.name}"
                f"  (created {user.created_at:%Y-%m-%d %H:%M}){disabled}"
            )
        typer.echo(f"{page.total} account(s).")


@users_app.command("disable")
def users_disable(email: str = typer.Argument(..., help="E-mail of the account")) -> None:
    """Disable an account: its sessions end at once and it can no longer log in."""
    with _session() as session:
        try:
            user = get_user_by_email(session=session, email=email)
        except NotFound:
            _fail(f"No account with e-mail {email}.")
            return
        disable_user(session=session, user=user, now=clock.now())
        typer.echo(f"Account {user.email} disabled.")


# The offline solver commands (`solve`, `validate`) come from the pure library; the
# benchmarks have their own command line, `python -m bench`.
register_solver_commands(cli)


def main() -> None:
    cli()
