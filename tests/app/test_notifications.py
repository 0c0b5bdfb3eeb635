"""What each party is told by e-mail, read back from a real SMTP server (aiosmtpd): the
delegation's unscheduled requests with their reason, a re-plan's changes only, nothing for
a closed edition; every e-mail has a plain-text and an HTML part."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from factories import auth
from smtp_support import smtp_server
from sqlmodel import select
from test_publication_support import LIMA, at, make_world, meeting, solve_run

from app.agendas.emails import greeting, of_name
from app.agendas.service import build_agenda, load_context
from app.commitments.models import (
    Commitment,
    CommitmentSource,
    CommitmentStatus,
    CommitmentType,
)
from app.editions.models import Room
from app.mail.models import DeliveryLog, MessageStatus, OutboxMessage
from app.mail.service import dispatch_due
from app.scheduling.models import SolveRun
from app.scheduling.publication import get_version

INSIDE = dt.datetime(2030, 2, 26, 9, 0, tzinfo=LIMA)
FULL = (
    "La agenda de MINEDU está llena: tiene 3 turnos libres y 4 reuniones de igual o mayor "
    "prioridad."
)


@pytest.fixture
def smtp(settings):
    with smtp_server() as (sink, port):
        yield sink, settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})


def _publish(client, world, run_id):
    r = client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": run_id},
        headers=auth(world.sd_token),
    )
    assert r.status_code == 201, r.text
    return r.json()


def _by_recipient(messages):
    return {m["To"].split(",")[0]: m for m in messages}


def _parts(message):
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return plain, html


def test_a_delegation_is_told_which_requests_were_not_scheduled_and_why(
    client, session, engine, smtp, frozen_now
):
    sink, config = smtp
    now = frozen_now(INSIDE)
    world = make_world(session)
    left_out = world.requests[("D1", "MINEDU")]
    plan = [m for m in world.plan if m.request_id != left_out]
    run_id = solve_run(session, world, plan)
    run = session.get(SolveRun, run_id)
    run.result = {
        **run.result,
        "unscheduled": [
            {"request_id": left_out, "code": "party_capacity", "reason": "-", "detail": FULL}
        ],
    }
    session.add(run)
    session.commit()
    _publish(client, world, run_id)
    assert dispatch_due(engine=engine, settings=config, now=now) == 5
    mail = _by_recipient(sink.take())
    plain, html = _parts(mail["gore1@region.example.pe"])
    assert "Estimado equipo del Gobierno Regional de Cusco (D1):" in plain
    assert "Reuniones programadas (1)" in plain
    assert "Reuniones solicitadas que no se programaron (1)" in plain
    assert f"- Ministerio de Educación (MINEDU): {FULL}" in plain
    assert "Reuniones solicitadas que no se programaron (1)" in html and FULL in html
    assert '<html lang="es">' in html
    # the other delegations had every request scheduled: no such section
    other, _ = _parts(mail["gore2@region.example.pe"])
    assert "no se programaron" not in other
    minsa, minsa_html = _parts(mail["agenda@minsa.example.pe"])
    assert "Estimado equipo del Ministerio de Salud (MINSA):" in minsa
    assert "Reuniones programadas (3)" in minsa and "no se programaron" not in minsa
    assert "Sala Sala" not in minsa and "sala Sala" not in minsa
    assert "del Ministerio de Salud" in minsa_html


def test_a_replan_tells_each_affected_party_only_what_changed(
    client, session, engine, smtp, frozen_now
):
    sink, config = smtp
    now = frozen_now(INSIDE)
    world = make_world(session)
    extra = Room(edition_id=world.edition.id, name="Sala 3", capacity=20)
    session.add(extra)
    session.commit()
    _publish(client, world, solve_run(session, world))
    assert dispatch_due(engine=engine, settings=config, now=now) == 5
    sink.take()
    d1_minsa, d2_minsa = world.requests[("D1", "MINSA")], world.requests[("D2", "MINSA")]
    d3_minedu = world.requests[("D3", "MINEDU")]
    plan = []
    for m in world.plan:
        if m.request_id == d1_minsa:  # same time, another room
            m = meeting(m.request_id, extra, m.starts_at)
        elif m.request_id == d2_minsa:  # same room, another time
            m = meeting(m.request_id, world.rooms[0], at(12, 0))
        elif m.request_id == d3_minedu:  # cancelled
            continue
        plan.append(m)
    _publish(client, world, solve_run(session, world, plan))
    later = now + dt.timedelta(minutes=5)
    assert dispatch_due(engine=engine, settings=config, now=later) == 5
    mail = _by_recipient(sink.take())
    # MINSA (two moved), MINEDU (one cancelled), D1, D2 (moved), D3 (cancelled)
    assert set(mail) == {
        "agenda@minsa.example.pe",
        "agenda@minedu.example.pe",
        "gore1@region.example.pe",
        "gore2@region.example.pe",
        "gore3@region.example.pe",
    }
    minsa, _ = _parts(mail["agenda@minsa.example.pe"])
    assert "Cambios en la agenda" in mail["agenda@minsa.example.pe"]["Subject"]
    assert "Reuniones reprogramadas" in minsa
    assert (
        "Gobierno Regional de Cusco – MINSA (viernes 1 de marzo de 2030, 10:00 - 10:20): " in minsa
    )
    assert "cambia de sala, de Sala 1 a Sala 3" in minsa
    assert (
        "Gobierno Regional de Junín – MINSA (Sala 1, viernes 1 de marzo de 2030): "
        "cambia de horario, de 10:20 - 10:40 a 12:00 - 12:20"
    ) in minsa
    assert "San Martín" not in minsa  # D3's MINSA meeting did not change
    assert "Reuniones nuevas" not in minsa and "Reuniones canceladas" not in minsa
    minedu, _ = _parts(mail["agenda@minedu.example.pe"])
    assert "Reuniones canceladas" in minedu and "Gobierno Regional de San Martín" in minedu
    assert "reprogramadas" not in minedu and "Cusco" not in minedu
    d1, _ = _parts(mail["gore1@region.example.pe"])
    assert "cambia de sala, de Sala 1 a Sala 3" in d1 and "MINEDU" not in d1
    # the room-only move raises the event's SEQUENCE in D1's calendar
    files = {p.get_filename(): p for p in mail["gore1@region.example.pe"].iter_attachments()}
    cal = icalendar.Calendar.from_ical(files["agenda-D1-v2.ics"].get_content())
    seq = {str(e["UID"]): int(e["SEQUENCE"]) for e in cal.walk("VEVENT")}
    code = f"gore-{world.edition.id}"
    assert seq[f"{code}-r{d1_minsa}@articula.pe"] == 1
    assert seq[f"{code}-r{world.requests[('D1', 'MINEDU')]}@articula.pe"] == 0
    # the downloaded calendar (read from the stored versions) says the same
    r = client.get(
        f"/api/editions/{world.edition.id}/agendas/delegations/D1",
        params={"format": "ics"},
        headers=auth(world.sd_token),
    )
    downloaded = icalendar.Calendar.from_ical(r.content)
    assert {str(e["UID"]): int(e["SEQUENCE"]) for e in downloaded.walk("VEVENT")} == seq


def test_nothing_is_sent_for_a_closed_edition(client, session, engine, smtp, frozen_now):
    sink, config = smtp
    now = frozen_now(INSIDE)
    world = make_world(session)
    _publish(client, world, solve_run(session, world))
    frozen_now(at(18))  # the edition is held from its first day on; its e-mails still queued
    for status in ("held", "closed"):
        r = client.post(
            f"/api/editions/{world.edition.id}/status",
            json={"to": status},
            headers=auth(world.sd_token),
        )
        assert r.status_code == 200, r.text
    assert dispatch_due(engine=engine, settings=config, now=now) == 0
    assert sink.take() == []
    session.expire_all()
    rows = session.exec(select(OutboxMessage)).all()
    assert len(rows) == 5 and {r.status for r in rows} == {MessageStatus.cancelled}
    logged = session.exec(select(DeliveryLog).where(DeliveryLog.event == "cancelled")).all()
    assert len(logged) == 5 and {e.detail for e in logged} == {"la edición está cerrada"}
    r = client.get(f"/api/editions/{world.edition.id}/publications", headers=auth(world.sd_token))
    assert r.json()[0]["delivery_status"] == "cancelled"


def test_the_greeting_contracts_the_article():
    assert (
        greeting("Ministerio de Salud", "MINSA")
        == "Estimado equipo del Ministerio de Salud (MINSA):"
    )
    assert (
        of_name("Municipalidad Metropolitana de Lima")
        == "de la Municipalidad Metropolitana de Lima"
    )
    assert (
        of_name("Presidencia del Consejo de Ministros")
        == "de la Presidencia del Consejo de Ministros"
    )
    assert of_name("Gobierno Regional del Cusco") == "del Gobierno Regional del Cusco"
    assert of_name("ARCC") == "de ARCC"


def test_the_agenda_marks_a_replan_and_bounds_prior_commitments(
    client, session, engine, frozen_now
):
    """Built from the stored versions: a moved meeting carries its previous time and room,
    an added one is marked; only the most recent open commitments are listed, the rest
    counted."""
    frozen_now(INSIDE)
    world = make_world(session)
    minsa, d1 = world.sectors["MINSA"], world.delegations[0]
    for year in range(2017, 2026):  # nine open commitments, 2017 to 2025
        session.add(
            Commitment(
                source=CommitmentSource.imported,
                edition_label=f"GORE {year}",
                description=f"Compromiso abierto de {year}",
                sector_id=minsa.id,
                delegation_id=d1.id,
                type=CommitmentType.technical,
                deadline=dt.date(year, 6, 30),
                status=CommitmentStatus.pending,
                created_by="test",
            )
        )
    session.commit()
    d1_minsa = world.requests[("D1", "MINSA")]
    _publish(client, world, solve_run(session, world))
    plan = [
        meeting(m.request_id, world.rooms[0], at(12, 0)) if m.request_id == d1_minsa else m
        for m in world.plan
    ]
    _publish(client, world, solve_run(session, world, plan))
    ctx = load_context(
        session=session,
        edition=world.edition,
        version=get_version(session=session, edition=world.edition, number=2),
    )
    agenda = build_agenda(ctx, kind="sector", owner_id=minsa.id)
    by_id = {m.request_id: m for m in agenda.meetings}
    moved = by_id[d1_minsa]
    assert moved.change == "moved" and moved.previous_start == at(10, 0)
    assert moved.previous_room == "Sala 1"
    assert [m.change for i, m in by_id.items() if i != d1_minsa] == [None, None]
    years = [c.description for c in moved.open_commitments]
    assert years == [
        f"Compromiso abierto de {y} (GORE {y})" for y in (2025, 2024, 2023, 2022, 2021)
    ]
    assert moved.more_commitments == 4
    first = build_agenda(
        load_context(
            session=session,
            edition=world.edition,
            version=get_version(session=session, edition=world.edition, number=1),
        ),
        kind="sector",
        owner_id=minsa.id,
    )
    assert {m.change for m in first.meetings} == {None}
