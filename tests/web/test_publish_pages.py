"""The SD's publication and delivery log pages over HTTP: the run and the window in Lima
dates, publishing (forced with a reason when late), stale states, the log per recipient
with "enviar ahora" and "reenviar" (the dispatcher writes .eml files here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_publication_support import LIMA, make_world, solve_run
from web_support import csrf_of, login, make_user

from app.access.models import Role
from app.core import clock, jobs
from app.editions.models import Edition, EditionDay, EditionStatus
from app.mail.models import MessageStatus, OutboxMessage
from app.main import create_app
from app.scheduling.versions import ScheduleVersion
from app.web.publish import window_text

EARLY = dt.datetime(2030, 2, 1, 12, 0, tzinfo=LIMA)  # before the window (24-27 Feb)
LATE = dt.datetime(2030, 2, 28, 9, 0, tzinfo=LIMA)  # one day before the first day


@pytest.fixture
def at() -> Iterator[Any]:
    def _freeze(when: dt.datetime) -> dt.datetime:
        clock.freeze(when)
        return when

    yield _freeze
    clock.freeze(None)


@pytest.fixture
def sd(settings, engine, session, tmp_path: Path) -> Iterator[TestClient]:
    """The SD logged in, on an application whose dispatcher writes .eml files to tmp_path."""
    config = settings.model_copy(update={"outbox_dir": tmp_path / "outbox"})
    user = make_user(session, Role.sd_admin)
    app = create_app(config, engine=engine)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield login(client, user.email)


def _messages(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def test_the_page_shows_the_runs_and_the_window_and_publishes(sd, session, at):
    at(EARLY)
    world = make_world(session)
    run_id = solve_run(session, world)
    base = f"/editions/{world.edition.id}/publish"
    page = sd.get(base)
    assert page.status_code == 200
    assert "entre el domingo 24 y el miércoles 27 de febrero" in page.text
    assert "las agendas se enviarán el domingo 24 de febrero de 2030, 08:00" in page.text
    assert f"Corrida {run_id} ·" in page.text and "solución óptima" in page.text
    assert 'name="force"' not in page.text  # forcing is only offered when late
    r = sd.post(base, data={"csrf_token": csrf_of(sd, base), "run_id": str(run_id)})
    assert r.status_code == 303 and r.headers["location"] == base
    after = sd.get(base)
    assert "Versión 1 de la agenda publicada" in after.text
    assert "Versión vigente: 1" in after.text and "programado" in after.text
    assert f'href="/editions/{world.edition.id}/deliveries"' in after.text
    assert "Publicar la versión 2" in after.text
    session.expire_all()
    assert world.edition.status == EditionStatus.published


def test_late_publication_needs_force_and_a_reason(sd, session, at):
    at(LATE)
    world = make_world(session)
    run_id = solve_run(session, world)
    base = f"/editions/{world.edition.id}/publish"
    page = sd.get(base)
    assert "El plazo ya pasó" in page.text and 'name="force"' in page.text
    token = csrf_of(sd, base)
    plain = sd.post(base, data={"csrf_token": token, "run_id": str(run_id)})
    assert plain.status_code == 422 and "marque «Forzar»" in plain.text
    no_reason = sd.post(
        base, data={"csrf_token": token, "run_id": str(run_id), "force": "1", "reason": " "}
    )
    assert no_reason.status_code == 422
    assert "Indique el motivo para forzar la publicación." in no_reason.text
    assert 'aria-invalid="true"' in no_reason.text
    assert session.exec(select(ScheduleVersion)).first() is None
    forced = sd.post(
        base,
        data={
            "csrf_token": token,
            "run_id": str(run_id),
            "force": "1",
            "reason": "Cambio de sede confirmado",
        },
    )
    assert forced.status_code == 303
    after = sd.get(base)
    assert "forzada" in after.text and "Motivo: Cambio de sede confirmado" in after.text


def test_stale_and_foreign_states_are_explained(sd, session, at, login_as):
    at(EARLY)
    world = make_world(session)
    base = f"/editions/{world.edition.id}/publish"
    no_run = sd.get(base)
    assert no_run.status_code == 200 and "ninguna corrida" in no_run.text
    run_id = solve_run(session, world)
    world.edition.status = EditionStatus.in_review
    session.add(world.edition)
    session.commit()
    page = sd.get(base)
    assert "solo se publica una edición en programación" in page.text
    assert f'href="/editions/{world.edition.id}"' in page.text
    # a form left open while the edition moved back: an explanation with a link back
    r = sd.post(base, data={"csrf_token": csrf_of(sd, "/editions"), "run_id": str(run_id)})
    assert r.status_code == 422 and "en programación" in r.text and 'role="alert"' in r.text
    assert "<html" in r.text and "Traceback" not in r.text
    unknown = sd.get("/editions/999999/publish")
    assert unknown.status_code == 404 and "<html" in unknown.text
    assert sd.get("/editions/999999/deliveries").status_code == 404
    ministry = login_as(Role.sector, world)  # MINSA of this edition
    assert ministry.get(base).status_code == 404
    assert ministry.get(f"/editions/{world.edition.id}/deliveries").status_code == 404


def test_delivery_log_send_now_and_resend(sd, session, at, tmp_path):
    now = at(EARLY)
    world = make_world(session, n_delegations=1)
    run_id = solve_run(session, world)
    base = f"/editions/{world.edition.id}/publish"
    sd.post(base, data={"csrf_token": csrf_of(sd, base), "run_id": str(run_id)})
    log_url = f"/editions/{world.edition.id}/deliveries"
    page = sd.get(log_url)
    assert page.status_code == 200
    assert "Ministerio de Salud" in page.text and "agenda@minsa.example.pe" in page.text
    assert "<strong>3</strong> en cola" in page.text and "Enviar ahora" in page.text
    assert "24/02/2030 08:00" in page.text  # due at 08:00 Lima, five days before
    minsa = next(m for m in _messages(session) if m.party_code == "MINSA")
    token = csrf_of(sd, log_url)
    r = sd.post(f"{log_url}/{minsa.id}/send-now", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == log_url
    assert jobs.drain(30)
    by_id = {m.id: m for m in _messages(session)}
    assert by_id[minsa.id].status == MessageStatus.sent and by_id[minsa.id].sent_at == now
    assert len(list((tmp_path / "outbox").glob("*MINSA*.eml"))) == 1
    page = sd.get(log_url)
    assert f"El mensaje {minsa.id} se enviará ahora." in page.text
    assert "<strong>1</strong> enviado" in page.text and "Reenviar" in page.text

    stale = sd.post(f"{log_url}/{minsa.id}/send-now", data={"csrf_token": token})
    assert stale.status_code == 409 and "Acción no disponible" in stale.text
    assert "«enviado»" in stale.text and "<html" in stale.text

    r = sd.post(f"{log_url}/{minsa.id}/resend?status=sent", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == f"{log_url}?status=sent"
    assert jobs.drain(30)
    rows = _messages(session)
    assert len(rows) == 4 and rows[-1].party_code == "MINSA"
    assert rows[-1].status == MessageStatus.sent
    sent = sd.get(f"{log_url}?status=sent")
    assert f"se reenviará como el mensaje {rows[-1].id}" in sent.text
    assert sent.text.count('<tr id="message-') == 2
    assert "Enviar ahora" not in sent.text
    # only the newest message of MINSA offers "reenviar"
    assert f"deliveries/{rows[-1].id}/resend" in sent.text
    assert f"deliveries/{minsa.id}/resend" not in sent.text
    missing = sd.post(f"{log_url}/999999/resend", data={"csrf_token": token})
    assert missing.status_code == 404 and "<html" in missing.text


def test_the_window_in_words_across_months():
    edition = Edition(
        name="x",
        agenda_days_before_max=5,
        agenda_days_before_min=2,
        days=[EditionDay(date=dt.date(2026, 12, 3), position=1)],
    )
    assert window_text(edition) == "entre el sábado 28 de noviembre y el martes 1 de diciembre"
    edition.days = [EditionDay(date=dt.date(2026, 12, 20), position=1)]
    assert window_text(edition) == "entre el martes 15 y el viernes 18 de diciembre"
