"""SIGKILL the real server at random moments while it sends e-mails and while it solves,
10 times each, then check nothing is lost, stuck or blocked.

E-mail delivery is at least once with a stable Message-ID: a kill between the SMTP
handover and the `sent` mark sends that one message again with the same Message-ID. So the
test asserts: every message ends `sent` (or `failed` with a reason), the SMTP server
received every one, nothing it received is unknown, and the duplicates are at most one per
kill, each of a message that was attempted more than once.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dbutil import create_postgres_database, drop_postgres_database, sqlite_url
from factories import auth, create_key
from runs_support import schedulable_edition
from smtp_support import free_port
from sqlmodel import Session, col, select

from app.core.db import make_engine
from app.core.migrations import upgrade
from app.mail import service as mail
from app.mail.models import MessageKind, MessageStatus, OutboxMessage
from app.scheduling.models import ACTIVE_RUN_STATUSES, SolveRun
from app.scheduling.runs import RESTARTED

pytestmark = pytest.mark.crash

KILLS = 10
BATCH = 12  # e-mails queued before each start of the server
ARTICULA = Path(sys.executable).with_name("articula")
HERE = Path(__file__).parent


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path, "crash.db")
        upgrade(url)
        yield url
        return
    server = os.environ.get("ARTICULA_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("set ARTICULA_TEST_POSTGRES_URL for the PostgreSQL pass")
    url = create_postgres_database(server)
    try:
        upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, received = free_port(), tmp_path / "received.txt"
    received.touch()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "smtp_counter.py"), str(port), str(received)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield port, received
    proc.terminate()
    proc.wait(10)


class Server:
    """`articula serve` as a real process on a free port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.port = free_port()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(ARTICULA), "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"the server did not start: {self.log.read_text()[-3000:]}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def _env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return os.environ | {
        "ARTICULA_DATABASE_URL": database_url,
        "ARTICULA_JOBS_TICK_S": "0.1",
        "ARTICULA_SECRET_KEY": "k" * 40,
        "ARTICULA_OUTBOX_DIR": str(tmp_path / "outbox"),
        **extra,
    }


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_killed_while_sending_no_email_is_lost_or_stuck(database_url, smtp, tmp_path):
    port, received = smtp
    engine = make_engine(database_url)
    server = Server(
        _env(database_url, tmp_path, ARTICULA_SMTP_HOST="127.0.0.1", ARTICULA_SMTP_PORT=str(port)),
        tmp_path / "server.log",
    )
    rng = random.Random(24)

    def queue_batch(cycle: int) -> None:
        now = dt.datetime.now(dt.UTC)
        with Session(engine) as session:
            for i in range(BATCH):
                mail.queue_message(
                    session=session,
                    kind=MessageKind.agenda,
                    to=[f"agenda{i}@sector.example.pe"],
                    subject=f"Agenda {cycle}-{i}",
                    body="Su agenda de reuniones bilaterales.",
                    attachments=[mail.Attachment("agenda.pdf", "application/pdf", b"%" * 20_000)],
                    due_at=now,
                    now=now,
                )
            session.commit()

    def unsettled() -> int:
        with Session(engine) as session:
            return len(
                session.exec(
                    select(OutboxMessage.id).where(
                        col(OutboxMessage.status).in_([MessageStatus.queued, MessageStatus.sending])
                    )
                ).all()
            )

    try:
        for cycle in range(KILLS):
            queue_batch(cycle)
            server.start()
            time.sleep(rng.uniform(0.0, 1.5))
            server.kill()
        server.start()
        assert _wait(lambda: unsettled() == 0, 60), "messages left queued or sending"
    finally:
        server.stop()
    with Session(engine) as session:
        messages = session.exec(select(OutboxMessage)).all()
    engine.dispose()
    got = collections.Counter(line for line in received.read_text().splitlines() if line)
    assert len(messages) == KILLS * BATCH
    for m in messages:
        assert m.status in (MessageStatus.sent, MessageStatus.failed), m
        if m.status == MessageStatus.failed:
            assert m.last_error
        else:
            assert got[m.message_id] >= 1, f"{m.message_id} marked sent but never received"
    assert set(got) <= {m.message_id for m in messages}
    attempts = {m.message_id: m.attempts for m in messages}
    duplicates = {mid: n for mid, n in got.items() if n > 1}
    assert sum(n - 1 for n in duplicates.values()) <= KILLS
    assert all(attempts[mid] >= n for mid, n in duplicates.items())


def test_killed_while_solving_no_run_or_edition_is_blocked(database_url, tmp_path):
    engine = make_engine(database_url)
    with Session(engine) as session:
        setup = schedulable_edition(session, n_delegations=8, n_sectors=4, n_rooms=3)
        _, token = create_key(session)
        session.commit()
        edition_id = setup.edition.id
    server = Server(
        _env(database_url, tmp_path, ARTICULA_SOLVER_TIME_LIMIT_S="3"), tmp_path / "server.log"
    )
    rng = random.Random(7)
    runs_url = f"/api/editions/{edition_id}/runs"
    started: list[int] = []

    def active() -> list[SolveRun]:
        with Session(engine) as session:
            return list(
                session.exec(
                    select(SolveRun).where(col(SolveRun.status).in_(ACTIVE_RUN_STATUSES))
                ).all()
            )

    try:
        for _ in range(KILLS):
            server.start()
            # The previous process's run is settled at start-up: failed, or queued again
            # and running to its end; a new run can start once it ends.
            assert _wait(lambda: not active(), 30), active()
            r = httpx.post(
                server.url + runs_url, json={"time_limit_s": 3}, headers=auth(token), timeout=30
            )
            assert r.status_code == 202, r.text
            started.append(r.json()["id"])
            time.sleep(rng.uniform(0.0, 2.0))
            server.kill()
        server.start()
        assert _wait(lambda: not active(), 30), active()
        r = httpx.post(
            server.url + runs_url, json={"time_limit_s": 3}, headers=auth(token), timeout=30
        )
        assert r.status_code == 202, r.text
    finally:
        server.stop()
    with Session(engine) as session:
        runs = {
            run.id: run
            for run in session.exec(select(SolveRun).where(col(SolveRun.id).in_(started))).all()
        }
    engine.dispose()
    for run_id in started:
        run = runs[run_id]
        assert run.status not in ACTIVE_RUN_STATUSES
        if run.status == "failed":
            assert run.error, run
    assert {r.error for r in runs.values() if r.status == "failed"} <= {RESTARTED, None} | {
        r.error for r in runs.values() if r.error and r.error.startswith("No se encontró")
    }
