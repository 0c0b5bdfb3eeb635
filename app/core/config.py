"""One validated Settings object, read from ARTICULA_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARTICULA_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./articula.db",
        description="SQLAlchemy URL: a SQLite file by default, PostgreSQL for scale-out "
        "(postgresql+psycopg://user@host:5432/db)",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    timezone: str = "America/Lima"

    solver_time_limit_s: float = Field(default=30.0, gt=0, le=3600)
    solver_workers: int = Field(default=2, ge=1, le=64)

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "articulacion@pcm.gob.pe"
    outbox_dir: Path = Path("outbox")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
