"""One validated Settings object, read from ARTICULA_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    # A sender's claim on a message expires after this long (longer than an SMTP send):
    # a crashed sender's messages then return to the queue.
    mail_lease_s: float = Field(default=300.0, gt=0)
    # uploaded evidence of commitments (never in git): by default `evidence/` next to the
    # SQLite file, else in the working directory; the limit applies to each file
    evidence_dir: Path | None = None
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    # Background jobs: in-process threads (embedded) or procrastinate on PostgreSQL.
    jobs_backend: Literal["embedded", "procrastinate"] = "embedded"
    jobs_workers: int = Field(default=2, ge=1, le=64)
    jobs_tick_s: float = Field(default=0.5, gt=0)
    jobs_periodic: bool = True  # False: periodic functions only run when called explicitly
    jobs_retries: int = Field(default=2, ge=0)
    jobs_stalled_after_s: float = 60.0  # procrastinate: worker heartbeat older than this

    # Solve runs: heartbeat, when a silent run counts as dead, progress throttling.
    run_heartbeat_s: float = Field(default=5.0, gt=0)
    run_stale_after_s: float = Field(default=60.0, gt=0)
    run_queued_timeout_s: float = Field(default=3600.0, gt=0)
    run_progress_every_s: float = Field(default=0.5, ge=0)  # 0: write every point
    # Open Server-Sent Event streams of runs per API key or web account (429 past it).
    run_streams_per_key: int = Field(default=5, ge=1, le=1000)

    # Web pages: the session cookie is signed with secret_key; without one, a key is
    # generated once and kept in secret_key_file (next to the SQLite file by default).
    secret_key: str | None = Field(default=None, min_length=32)
    secret_key_file: Path | None = None
    session_cookie_secure: bool = False  # True behind HTTPS: the cookie gets `Secure`
    session_max_age_s: int = Field(default=12 * 3600, ge=60)
    login_window_s: int = Field(default=900, ge=1)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)

    # Limits: request bodies (413 past them, nothing read beyond) and failed API keys per
    # client address within a sliding window (429 with Retry-After), counted in this process.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)  # multipart/form-data
    api_auth_window_s: int = Field(default=60, ge=1)
    # Requests running at once in this process; the others wait their turn in order, for up
    # to request_queue_timeout_s (then 503). 0 turns the queue off.
    max_concurrent_requests: int = Field(default=4, ge=0)
    request_queue_timeout_s: float = Field(default=30.0, gt=0)
    api_auth_max_failures_per_address: int = Field(default=30, ge=1)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
