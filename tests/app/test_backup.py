"""The backup drill: back up while submissions are being written, restore into an empty
database, and every submission acknowledged before the backup began is there; e-mails
queued at backup time are held after the restore until the SD releases them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbutil import create_postgres_database, drop_postgres_database, is_postgres, sqlite_url
from sqlmodel import Session, select
from test_submissions_support import INSIDE, make_world, sample_list
from typer.testing import CliRunner

from app.cli import cli
from app.core import backup as backups
from app.core import clock
from app.core.db import make_engine
from app.mail import service as mail
from app.mail.models import MessageKind, MessageStatus, OutboxMessage
from app.submissions.models import TopicListVersion


@pytest.fixture
def restored_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test database, to restore into."""
    if is_postgres(database_url):
        missing = backups.pg_tools_missing()
        if missing:
            pytest.skip(f"{', '.join(missing)} missing: install postgresql-client")
        url = create_postgres_database(database_url)
        try:
            yield url
        finally:
            drop_postgres_database(url)
    else:
        yield sqlite_url(tmp_path, "restored.db")


def _cli(url: str, *args: str):
    return CliRunner().invoke(cli, list(args), env={"ARTICULA_DATABASE_URL": url})


def test_backup_while_writing_keeps_every_acknowledged_submission(
    client, session, frozen_now, database_url, restored_url, tmp_path
):
    frozen_now(INSIDE)
    world = make_world(session)
    mail.queue_message(
        session=session,
        kind=MessageKind.agenda,
        to=["agenda@minsa.example.pe"],
        subject="Agenda",
        body="Su agenda.",
        due_at=clock.now(),
        now=clock.now(),
        edition_id=world.edition.id,
    )
    session.commit()
    acknowledged: list[int] = []
    stop = threading.Event()
    errors: list[str] = []

    def write() -> None:
        i = 0
        while not stop.is_set():
            r = client.post(
                world.lists("CUS"), json=sample_list(f"{i} "), headers=world.keys["CUS"]
            )
            if r.status_code != 201:
                errors.append(r.text)
                return
            acknowledged.append(r.json()["number"])
            i += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(acknowledged) < 5 and writer.is_alive():
            stop.wait(0.05)
        before = list(acknowledged)
        target = tmp_path / "articula.backup"
        result = _cli(database_url, "backup", str(target))
    finally:
        stop.set()
        writer.join(60)
    assert not errors
    assert result.exit_code == 0, result.output
    assert len(acknowledged) > len(before) >= 5  # writes went on around the backup

    result = _cli(restored_url, "restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    assert "1 queued e-mail(s) held" in result.output
    engine = make_engine(restored_url)
    try:
        with Session(engine) as restored:
            numbers = set(restored.exec(select(TopicListVersion.number)).all())
            assert set(before) <= numbers
            statuses = restored.exec(select(OutboxMessage.status)).all()
            assert statuses == [MessageStatus.held]
        result = _cli(restored_url, "outbox", "release")
        assert result.exit_code == 0, result.output
        assert "1 e-mail(s) released" in result.output
        with Session(engine) as restored:
            assert restored.exec(select(OutboxMessage.status)).all() == [MessageStatus.queued]
    finally:
        engine.dispose()


def test_the_sd_releases_held_messages_over_the_api(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    message = mail.queue_message(
        session=session,
        kind=MessageKind.agenda,
        to=["agenda@minsa.example.pe"],
        subject="Agenda",
        body="Su agenda.",
        due_at=clock.now(),
        now=clock.now(),
        edition_id=world.edition.id,
    )
    assert mail.hold_queued(session=session, now=clock.now(), detail="restaurado") == 1
    session.commit()
    url = f"/api/editions/{world.edition.id}/deliveries/release"
    assert client.post(url, headers=world.keys["CUS"]).status_code in (403, 404)
    r = client.post(url, headers=world.sd)
    assert r.status_code == 200, r.text
    assert r.json() == {"released": 1}
    session.expire_all()
    assert session.get(OutboxMessage, message.id).status == MessageStatus.queued
    assert client.post(url, headers=world.sd).json() == {"released": 0}


def test_backup_refuses_to_overwrite_and_restore_refuses_a_foreign_file(
    database_url, restored_url, tmp_path
):
    existing = tmp_path / "existing.backup"
    existing.write_bytes(b"x")
    result = _cli(database_url, "backup", str(existing))
    assert result.exit_code == 1
    assert "ya existe" in result.output
    assert existing.read_bytes() == b"x"
    result = _cli(restored_url, "restore", str(existing), "--yes")
    assert result.exit_code == 1
    assert "no es" in result.output
