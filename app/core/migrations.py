"""Run the Alembic migrations from Python (the CLI and the tests use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

_REPO = Path(__file__).resolve().parents[2]


def _script_location() -> Path:
    for base in (_REPO, Path.cwd()):  # the source tree, else the working directory (Docker)
        if (base / "migrations" / "env.py").is_file():
            return base / "migrations"
    raise FileNotFoundError("migrations/ not found next to the app package nor in the cwd")


def alembic_config(url: str) -> Config:
    """An Alembic Config bound to `url`, independent of the current directory."""
    ini = _REPO / "alembic.ini"
    config = Config(str(ini)) if ini.is_file() else Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision`."""
    command.downgrade(alembic_config(url), revision)
