"""A rapporteur's pages over HTTP: the assigned meetings (a cancelled one drops out), the
record form (not before the meeting starts; held or not with the reason; a draft, then
closed) and commitments with responsible, deadline, type and amount; another rapporteur's
meetings and other roles get a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_commitments_support import published
from test_publication_support import at
from web_support import csrf_of, login, make_user

from app.access.models import Role
from app.agendas.delivery import publish_meetings
from app.commitments.models import Commitment, MeetingRecord
from app.core import clock
from app.editions.models import RapporteurAssignment


@pytest.fixture
def rapporteur(app, session, settings) -> tuple[TestClient, Any]:
    """A rapporteur account assigned to D1's and D2's MINSA meetings."""
    p = published(session, settings)
    user = make_user(session, Role.rapporteur)
    for request_id in (p.request("D1"), p.request("D2")):
        session.add(
            RapporteurAssignment(
                edition_id=p.edition_id, request_id=request_id, key_id=user.key_id, assigned_by="SD"
            )
        )
    session.commit()
    yield login(TestClient(app, follow_redirects=False), user.email), p
    clock.freeze(None)


def _base(p: Any, who: str = "D1") -> str:
    return f"/rapporteur/editions/{p.edition_id}/meetings/{p.request(who)}"


def test_the_list_and_no_record_before_the_start(rapporteur):
    client, p = rapporteur
    clock.freeze(at(9, 0))
    assert client.get("/inicio").headers["location"] == "/rapporteur"
    home = client.get("/rapporteur")
    assert home.status_code == 200
    assert home.text.count("Ver (aún no empieza)") == 2 and "Sala 1" in home.text
    assert "Hospital de Cusco: saldo de obra (MINSA)" in home.text
    page = client.get(_base(p))
    assert "podrá registrarla desde las 10:00" in page.text and 'name="held"' not in page.text
    r = client.post(
        _base(p) + "/record", data={"csrf_token": csrf_of(client, _base(p)), "held": "si"}
    )
    assert r.status_code == 409 and "aún no empieza" in r.text


def test_draft_commitments_then_closed(rapporteur, session: Session):
    client, p = rapporteur
    clock.freeze(at(10, 30))
    base = _base(p)
    token = csrf_of(client, base)
    missing = client.post(base + "/record", data={"csrf_token": token, "held": "no"})
    assert missing.status_code == 422 and "Indique el motivo" in missing.text
    draft = client.post(
        base + "/record",
        data={"csrf_token": token, "held": "si", "notes": "Se acordó priorizar el hospital."},
    )
    assert draft.status_code == 303
    assert "Relatoría guardada como borrador." in client.get(base).text
    minsa, d1 = p.world.sectors["MINSA"], p.world.delegations[0]
    for body in (
        {
            "responsible": f"sector:{minsa.id}",
            "type": "budgetary",
            "amount": "1500000.00",
            "description": "Transferir el saldo de obra",
            "deadline": "2030-06-30",
        },
        {
            "responsible": f"both:{minsa.id}:{d1.id}",
            "type": "technical",
            "description": "Mesa técnica del expediente",
            "deadline": "2030-04-15",
        },
    ):
        r = client.post(base + "/commitments", data={"csrf_token": token, **body})
        assert r.status_code == 303, r.text
    no_amount = client.post(
        base + "/commitments",
        data={
            "csrf_token": token,
            "responsible": f"delegation:{d1.id}",
            "type": "budgetary",
            "description": "Cofinanciar",
            "deadline": "2030-05-01",
        },
    )
    assert no_amount.status_code == 422 and "necesita su monto" in no_amount.text
    page = client.get(base)
    assert "Compromisos (2)" in page.text and "MINSA y D1" in page.text
    assert "S/\xa01,500,000.00" in page.text
    closed = client.post(
        base + "/record",
        data={"csrf_token": token, "held": "si", "notes": "Acuerdos finales.", "action": "close"},
    )
    assert closed.status_code == 303
    page = client.get(base)
    assert "Relatoría guardada y cerrada." in page.text and "Acuerdos finales." in page.text
    assert 'name="held"' not in page.text and "Agregar compromiso" not in page.text
    again = client.post(base + "/record", data={"csrf_token": token, "held": "si"})
    assert again.status_code == 409
    session.expire_all()
    record = session.exec(select(MeetingRecord)).one()
    assert record.closed_at is not None and record.notes == "Acuerdos finales."
    assert len(session.exec(select(Commitment)).all()) == 2
    assert "Cerrada" in client.get("/rapporteur").text


def test_a_cancelled_meeting_drops_out(rapporteur, session, settings):
    client, p = rapporteur
    dropped = p.request("D2")
    publish_meetings(
        session=session,
        edition=p.world.edition,
        meetings=[m for m in p.world.plan if m.request_id != dropped],
        published_by="SD",
        now=dt.datetime(2030, 1, 12, 15, 0, tzinfo=dt.UTC),
        settings=settings,
    )
    session.commit()
    home = client.get("/rapporteur")
    assert f"/meetings/{p.request('D1')}" in home.text and f"/meetings/{dropped}" not in home.text
    assert client.get(_base(p, "D2")).status_code == 404


def test_other_rapporteurs_and_roles_get_404(rapporteur, app, session):
    client, p = rapporteur
    other = make_user(session, Role.rapporteur)
    stranger = login(TestClient(app, follow_redirects=False), other.email)
    assert stranger.get(_base(p)).status_code == 404
    assert "No tiene reuniones asignadas" in stranger.get("/rapporteur").text
    foreign = _base(p, "D3")  # a meeting not assigned to this rapporteur
    assert client.get(foreign).status_code == 404
    for role in (Role.sd_admin, Role.delegation, Role.sector):
        user = make_user(
            session,
            role,
            delegation_id=p.world.delegations[0].id if role == Role.delegation else None,
            sector_id=p.world.sectors["MINSA"].id if role == Role.sector else None,
        )
        browser = login(TestClient(app, follow_redirects=False), user.email)
        assert browser.get("/rapporteur").status_code == 404
        assert browser.get(_base(p)).status_code == 404
