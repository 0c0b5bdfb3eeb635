"""Publication: run -> schedule version N, atomically, with the delivery window and diffs."""

from __future__ import annotations

import datetime as dt

import pytest
from factories import auth
from sqlmodel import select
from test_publication_support import LIMA, at, make_world, meeting, solve_run

from app.agendas import delivery
from app.editions.models import Edition, EditionStatus
from app.mail.models import MessageKind, MessageStatus, OutboxMessage
from app.mail.service import dispatch_due
from app.scheduling import publication
from app.scheduling.versions import CurrentSchedule, ScheduledMeeting, ScheduleVersion

INSIDE = dt.datetime(2030, 2, 26, 9, 0, tzinfo=LIMA)  # 3 days before 1 March: at once


def _key(plan):
    return sorted((m.request_id, m.room_id, m.starts_at, m.ends_at) for m in plan)


def _publish(client, world, run_id, **body):
    return client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": run_id, **body},
        headers=auth(world.sd_token),
    )


def _messages(session, edition_id, version=None):
    session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.edition_id == edition_id)
    if version is not None:
        query = query.where(OutboxMessage.agenda_version == version)
    return session.exec(query.order_by(OutboxMessage.id)).all()


def test_publish_run_creates_version_and_moves_edition_to_published(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    response = _publish(client, world, solve_run(session, world))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number"] == 1 and body["current"] is True
    assert body["meeting_count"] == 6 and body["forced"] is False
    assert body["delivery_status"] == "pending"
    assert body["delivery_due_at"].startswith("2030-02-26T14:00:00")
    session.expire_all()
    assert session.get(Edition, world.edition.id).status == EditionStatus.published
    planned = publication.published_meetings(session=session, edition=world.edition)
    assert _key(planned) == _key(world.plan)
    # one agenda per sector and per delegation, with PDF and .ics
    messages = _messages(session, world.edition.id)
    assert sorted(m.party_code for m in messages) == ["D1", "D2", "D3", "MINEDU", "MINSA"]
    assert all(m.kind == MessageKind.agenda for m in messages)
    minsa = next(m for m in messages if m.party_code == "MINSA")
    assert minsa.to_addrs == ["agenda@minsa.example.pe", "despacho@minsa.example.pe"]
    assert minsa.subject == (
        "Agenda de reuniones bilaterales – 12.º GORE Ejecutivo – MINSA (versión 1)"
    )
    listed = client.get(
        f"/api/editions/{world.edition.id}/publications", headers=auth(world.sd_token)
    )
    assert listed.status_code == 200 and [p["number"] for p in listed.json()] == [1]


def test_publications_are_sd_only(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    run_id = solve_run(session, world)
    for code in ("MINSA", "D1"):
        headers = auth(world.tokens[code])
        url = f"/api/editions/{world.edition.id}/publications"
        assert client.post(url, json={"run_id": run_id}, headers=headers).status_code == 404
        assert client.get(url, headers=headers).status_code == 404


def test_unknown_or_unfinished_run(client, session, frozen_now):
    from app.scheduling.models import RunStatus, SolveRun

    frozen_now(INSIDE)
    world = make_world(session)
    assert _publish(client, world, 999_999).status_code == 404
    run = SolveRun(edition_id=world.edition.id, status=RunStatus.failed, created_by="t")
    session.add(run)
    session.commit()
    response = _publish(client, world, run.id)
    assert response.status_code == 409
    assert "corrida" in response.json()["detail"]


def test_publishing_the_current_run_again_is_409_and_writes_nothing(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    first = solve_run(session, world)
    assert _publish(client, world, first).status_code == 201
    again = _publish(client, world, first)
    assert again.status_code == 409
    assert again.json()["detail"].startswith(f"La corrida {first} ya está publicada")
    assert again.json()["version"] == 1
    session.expire_all()
    assert len(session.exec(select(ScheduleVersion)).all()) == 1
    # an older version's run may come back as a new version (a rollback)
    plan2 = [m for m in world.plan if m.request_id != world.requests[("D2", "MINSA")]]
    assert _publish(client, world, solve_run(session, world, plan2)).status_code == 201
    back = _publish(client, world, first)
    assert back.status_code == 201 and back.json()["number"] == 3


def test_early_publication_is_delivered_five_days_before_at_8_lima(client, session, frozen_now):
    frozen_now(dt.datetime(2030, 2, 1, 12, 0, tzinfo=LIMA))
    world = make_world(session)
    body = _publish(client, world, solve_run(session, world)).json()
    assert body["delivery_status"] == "scheduled"
    due = dt.datetime.fromisoformat(body["delivery_due_at"])
    assert due == dt.datetime(2030, 2, 24, 8, 0, tzinfo=LIMA)
    assert all(m.due_at == due for m in _messages(session, world.edition.id))


def test_publication_inside_window_is_due_at_once(client, session, frozen_now, settings, tmp_path):
    now = frozen_now(dt.datetime(2030, 2, 24, 7, 0, tzinfo=LIMA))  # exactly 5 days before
    world = make_world(session)
    body = _publish(client, world, solve_run(session, world)).json()
    assert dt.datetime.fromisoformat(body["delivery_due_at"]) == now
    eml = settings.model_copy(update={"outbox_dir": tmp_path, "smtp_host": None})
    from app.core.db import make_engine

    engine = make_engine(settings.database_url)
    try:
        assert dispatch_due(engine=engine, settings=eml, now=now) == 5
    finally:
        engine.dispose()


def test_late_publication_is_refused_unless_forced_with_reason(client, session, frozen_now):
    frozen_now(dt.datetime(2030, 2, 28, 9, 0, tzinfo=LIMA))  # 1 day before
    world = make_world(session)
    run_id = solve_run(session, world)
    late = _publish(client, world, run_id)
    assert late.status_code == 409
    assert late.headers["content-type"] == "application/problem+json"
    assert "al menos 2 días antes" in late.json()["detail"]
    no_reason = _publish(client, world, run_id, force=True)
    assert no_reason.status_code == 422 and "motivo" in no_reason.json()["detail"]
    forced = _publish(client, world, run_id, force=True, reason="Cambio de sede por lluvias")
    assert forced.status_code == 201, forced.text
    assert forced.json()["forced"] is True
    assert forced.json()["force_reason"] == "Cambio de sede por lluvias"
    session.expire_all()
    version = session.exec(select(ScheduleVersion)).one()
    assert version.forced and version.force_reason == "Cambio de sede por lluvias"


def test_publication_is_atomic(client, session, frozen_now, monkeypatch):
    frozen_now(INSIDE)
    world = make_world(session)
    run_id = solve_run(session, world)

    def boom(**kwargs):
        raise RuntimeError("SMTP template exploded after the meetings were written")

    monkeypatch.setattr(delivery, "queue_notifications", boom)
    response = _publish(client, world, run_id)
    assert response.status_code == 500
    session.expire_all()
    assert session.exec(select(ScheduleVersion)).all() == []
    assert session.exec(select(ScheduledMeeting)).all() == []
    assert session.exec(select(CurrentSchedule)).all() == []
    assert session.exec(select(OutboxMessage)).all() == []
    assert session.get(Edition, world.edition.id).status == EditionStatus.scheduling
    assert publication.published_meetings(session=session, edition=world.edition) == []


def test_agendas_are_rendered_before_the_first_write(session, frozen_now, settings, monkeypatch):
    """The e-mails and their PDF / .ics are rendered before the transaction writes anything,
    so the write part (and SQLite's write lock) is short; the result is the same."""
    now = frozen_now(INSIDE)
    world = make_world(session)
    prepare = delivery.prepare_notifications
    seen = {}

    def checked(**kwargs):
        assert not session.new and not session.dirty and not session.deleted
        assert session.exec(select(ScheduleVersion)).all() == []  # nothing flushed either
        assert world.edition.status == EditionStatus.scheduling
        out = prepare(**kwargs)
        seen["n"] = len(out.messages)
        assert all(a.content for n in out.messages for a in n.attachments)
        assert not session.new and not session.dirty  # still nothing to write
        return out

    monkeypatch.setattr(delivery, "prepare_notifications", checked)
    delivery.publish_meetings(
        session=session,
        edition=world.edition,
        meetings=world.plan,
        published_by="t",
        now=now,
        settings=settings,
    )
    session.commit()
    rows = _messages(session, world.edition.id)
    assert seen["n"] == len(rows) == 5
    assert session.exec(select(ScheduledMeeting)).all() and all(
        r.kind == MessageKind.agenda for r in rows
    )


def test_invalid_plan_is_refused(session, frozen_now, settings):
    now = frozen_now(INSIDE)
    world = make_world(session)
    bad = [*world.plan, world.plan[0]]
    with pytest.raises(Exception, match="repite"):
        delivery.publish_meetings(
            session=session,
            edition=world.edition,
            meetings=bad,
            published_by="t",
            now=now,
            settings=settings,
        )
    session.rollback()


def test_republish_notifies_only_changed_parties(
    client, session, frozen_now, settings, engine, tmp_path
):
    now = frozen_now(INSIDE)
    world = make_world(session)
    assert _publish(client, world, solve_run(session, world)).status_code == 201
    eml = settings.model_copy(update={"outbox_dir": tmp_path, "smtp_host": None})
    assert dispatch_due(engine=engine, settings=eml, now=now) == 5
    # v2: D1-MINSA moves to 12:00 in Sala 2; D3-MINEDU is dropped; everything else stays
    moved_id = world.requests[("D1", "MINSA")]
    dropped_id = world.requests[("D3", "MINEDU")]
    plan2 = [m for m in world.plan if m.request_id not in (moved_id, dropped_id)]
    plan2.append(meeting(moved_id, world.rooms[1], at(12, 0)))
    frozen_now(now + dt.timedelta(hours=2))
    response = _publish(client, world, solve_run(session, world, plan2))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number"] == 2
    changes = {(c["party_kind"], c["party_code"]): c for c in body["changes"]}
    assert set(changes) == {
        ("sector", "MINSA"),
        ("delegation", "D1"),
        ("sector", "MINEDU"),
        ("delegation", "D3"),
    }
    assert changes[("sector", "MINSA")]["moved"] == 1
    assert changes[("sector", "MINEDU")]["removed"] == 1
    v2 = _messages(session, world.edition.id, version=2)
    assert sorted(m.party_code for m in v2) == ["D1", "D3", "MINEDU", "MINSA"]  # not D2
    assert all(m.kind == MessageKind.changes for m in v2)
    minsa = next(m for m in v2 if m.party_code == "MINSA")
    assert minsa.subject.startswith("Cambios en la agenda de reuniones bilaterales")
    assert "(versión 2)" in minsa.subject
    assert "Reuniones reprogramadas" in minsa.body_text
    assert "antes " in minsa.body_text and "12:00" in minsa.body_text
    minedu = next(m for m in v2 if m.party_code == "MINEDU")
    assert "Reuniones canceladas" in minedu.body_text
    assert "Gobierno Regional de San Martín" in minedu.body_text
    planned = publication.published_meetings(session=session, edition=world.edition)
    assert _key(planned) == _key(plan2)
    listed = client.get(
        f"/api/editions/{world.edition.id}/publications", headers=auth(world.sd_token)
    ).json()
    assert [(p["number"], p["current"]) for p in listed] == [(2, True), (1, False)]
    assert listed[1]["delivery_status"] == "sent"
    assert listed[0]["delivery_status"] == "pending"


def test_republish_before_delivery_supersedes_the_queued_agendas(client, session, frozen_now):
    frozen_now(dt.datetime(2030, 2, 1, 12, 0, tzinfo=LIMA))  # early: queued for 24 Feb
    world = make_world(session)
    assert _publish(client, world, solve_run(session, world)).status_code == 201
    plan2 = [m for m in world.plan if m.request_id != world.requests[("D2", "MINSA")]]
    assert _publish(client, world, solve_run(session, world, plan2)).status_code == 201
    v1 = _messages(session, world.edition.id, version=1)
    assert {m.status for m in v1} == {MessageStatus.superseded}
    v2 = _messages(session, world.edition.id, version=2)
    # nobody received v1: every party gets its full v2 agenda, none a change notice
    assert sorted(m.party_code for m in v2) == ["D1", "D2", "D3", "MINEDU", "MINSA"]
    assert {m.kind for m in v2} == {MessageKind.agenda}
    listed = client.get(
        f"/api/editions/{world.edition.id}/publications", headers=auth(world.sd_token)
    ).json()
    assert [p["delivery_status"] for p in listed] == ["scheduled", "superseded"]


def test_published_edition_cannot_be_published_from_other_states(session, frozen_now, settings):
    now = frozen_now(INSIDE)
    world = make_world(session)
    world.edition.status = EditionStatus.in_review
    session.add(world.edition)
    session.commit()
    with pytest.raises(Exception, match="programación"):
        delivery.publish_meetings(
            session=session,
            edition=world.edition,
            meetings=world.plan,
            published_by="t",
            now=now,
            settings=settings,
        )
