"""`articula demo` loads the GORE demo once; running it again changes nothing."""

from __future__ import annotations

from sqlmodel import func, select
from typer.testing import CliRunner

from app.access.models import ApiKey, User
from app.cli import cli
from app.demo_data import EDITION_NAME, PRIORITY_SECTORS
from app.editions.models import (
    Delegation,
    Edition,
    EditionDelegation,
    EditionSector,
    Room,
    Sector,
    Unavailability,
)
from app.editions.service import edition_slots, submissions_open

MODELS = (
    Delegation,
    Sector,
    Edition,
    EditionDelegation,
    EditionSector,
    Room,
    Unavailability,
    ApiKey,
    User,
)


def _counts(session):
    session.expire_all()
    return {m.__name__: session.exec(select(func.count()).select_from(m)).one() for m in MODELS}


def test_demo_is_idempotent(session, database_url, monkeypatch):
    monkeypatch.setenv("ARTICULA_DATABASE_URL", database_url)
    runner = CliRunner()
    first = runner.invoke(cli, ["demo"])
    assert first.exit_code == 0, first.output
    counts = _counts(session)
    assert counts == {
        "Delegation": 26,
        "Sector": 23,
        "Edition": 1,
        "EditionDelegation": 26,
        "EditionSector": 9,
        "Room": 11,
        "Unavailability": 4,
        "ApiKey": 1 + 26 + 9 + 1 + 4,  # the keys, then the identity keys of the accounts
        "User": 4,  # one web account per role
    }
    assert first.output.count("delegation ") == 26
    edition = session.exec(select(Edition).where(Edition.name == EDITION_NAME)).one()
    assert edition.status == "open_for_submissions" and submissions_open(edition)
    assert len(edition_slots(edition)) == 21 and len(edition.days) == 2
    codes = set(session.exec(select(Delegation.code)).all())
    assert {"AMA", "LIP", "LIM", "CAL", "UCA", "MDD"} <= codes
    assert set(PRIORITY_SECTORS) <= set(session.exec(select(Sector.code)).all())

    second = runner.invoke(cli, ["demo"])
    assert second.exit_code == 0, second.output
    assert "already exist" in second.output and "articula keys create" in second.output
    assert "articula users create" in second.output and "sd@pcm.gob.example" in first.output
    assert _counts(session) == counts


def test_keys_cli(session, database_url, monkeypatch):
    monkeypatch.setenv("ARTICULA_DATABASE_URL", database_url)
    runner = CliRunner()
    r = runner.invoke(cli, ["keys", "create", "--role", "sd_admin", "--name", "Equipo SD"])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    key = session.exec(select(ApiKey)).one()
    assert token not in repr(key.model_dump())
    r = runner.invoke(
        cli, ["keys", "create", "--role", "delegation", "--name", "X", "--delegation", "NOPE"]
    )
    assert r.exit_code == 1
    assert "Equipo SD" in runner.invoke(cli, ["keys", "list"]).output
    assert runner.invoke(cli, ["keys", "revoke", str(key.id)]).exit_code == 0
    session.refresh(key)
    assert key.revoked_at is not None
    assert runner.invoke(cli, ["keys", "revoke", "999999"]).exit_code == 1
