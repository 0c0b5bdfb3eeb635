"""A ministry's pages over HTTP: its agenda with downloads, the calendar subscription
(rotated from the page), the topics addressed to it, its commitments with status changes
and evidence (a link, a file or a note, after `executed` too); another sector's pages are a 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_commitments_support import commitment_body, published
from web_support import csrf_of, login, make_user

from app.access.models import Role
from app.commitments.evidence import CommitmentEvidence
from app.main import create_app

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def minsa(settings, engine, session, tmp_path) -> tuple[TestClient, Any]:
    """MINSA's logged-in browser over the published world (evidence to tmp_path)."""
    p = published(session, settings)
    app = create_app(settings.model_copy(update={"evidence_dir": tmp_path}), engine=engine)
    user = make_user(session, Role.sector, sector_id=p.world.sectors["MINSA"].id)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    return login(client, user.email), p


def _commitment(client: TestClient, p: Any) -> int:
    r = client.post(
        f"/api/editions/{p.edition_id}/meetings/{p.request('D1')}/commitments",
        json=commitment_body(p),
        headers=p.sd(),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_agenda_downloads_and_topics(minsa):
    client, p = minsa
    assert client.get("/inicio").headers["location"] == "/sectors/MINSA"
    base = f"/sectors/MINSA/editions/{p.edition_id}"
    page = client.get(base)
    assert page.status_code == 200
    assert "Agenda (versión 1)" in page.text and "Gobierno Regional de Cusco" in page.text
    assert "Hospital de Cusco: saldo de obra (MINSA)" in page.text
    assert "S/\xa045,678,901.25" in page.text
    assert "Temas dirigidos a su sector (6)" in page.text
    assert "(MINEDU)" not in page.text  # MINEDU's topics are not MINSA's
    pdf = client.get(base + "/agenda.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "agenda-MINSA" in pdf.headers["content-disposition"]
    assert client.get(base + "/agenda.ics").content.count(b"BEGIN:VEVENT") == 3


def test_the_subscription_address_works_and_rotates(minsa):
    client, p = minsa
    home = client.get("/sectors/MINSA")
    assert home.status_code == 200
    url = home.text.split('id="feed-url" type="text" readonly value="', 1)[1].split('"', 1)[0]
    path = url.removeprefix("http://testserver")
    assert path.startswith("/api/feeds/sectors/")
    assert client.get(path).status_code == 200
    r = client.post(
        "/sectors/MINSA/feed/rotate", data={"csrf_token": csrf_of(client, "/sectors/MINSA")}
    )
    assert r.status_code == 303
    assert client.get(path).status_code == 404
    assert "Se generó una nueva dirección" in client.get("/sectors/MINSA").text


def test_status_change_then_evidence_link_and_file(minsa, session: Session):
    client, p = minsa
    cid = _commitment(client, p)
    listed = client.get("/sectors/MINSA/commitments")
    assert f'href="/sectors/MINSA/commitments/{cid}"' in listed.text
    base = f"/sectors/MINSA/commitments/{cid}"
    token = csrf_of(client, base)
    r = client.post(base + "/status", data={"csrf_token": token, "to": "in_process"})
    assert r.status_code == 303
    link = client.post(
        base + "/evidence",
        data={"csrf_token": token, "url": "https://www.gob.pe/minsa/resolucion-45", "note": "RM"},
    )
    assert link.status_code == 303
    r = client.post(base + "/status", data={"csrf_token": token, "to": "executed"})
    assert r.status_code == 303
    page = client.get(base)
    assert "El compromiso pasó a «ejecutado»." in page.text
    assert "solo la SD puede reabrirlo" in page.text  # final: no status form, evidence still
    upload = client.post(
        base + "/evidence",
        data={"csrf_token": token, "note": "Oficio"},
        files={"file": ("oficio.pdf", PDF, "application/pdf")},
    )
    assert upload.status_code == 303, upload.text
    page = client.get(base)
    assert "https://www.gob.pe/minsa/resolucion-45" in page.text and "oficio.pdf" in page.text
    row = session.exec(
        select(CommitmentEvidence).where(CommitmentEvidence.filename == "oficio.pdf")
    ).one()
    assert client.get(f"{base}/evidence/{row.id}").content == PDF
    bad = client.post(
        base + "/evidence",
        data={"csrf_token": token},
        files={"file": ("virus.pdf", b"MZ\x90\x00", "application/pdf")},
    )
    assert bad.status_code == 415 and "Tipo de archivo no admitido" in bad.text
    empty = client.post(base + "/evidence", data={"csrf_token": token})
    assert empty.status_code == 422 and "escriba una nota" in empty.text
    note = client.post(base + "/evidence", data={"csrf_token": token, "note": "Oficio 77-2030"})
    assert note.status_code == 303
    assert re.search(r"<li>Nota\s+— Oficio 77-2030", client.get(base).text)
    assert session.exec(
        select(CommitmentEvidence.note).where(CommitmentEvidence.commitment_id == cid)
    ).all() == ["RM", "Oficio", "Oficio 77-2030"]
    assert client.get("/sectors/MINSA/commitments?show=open").text.count(f">{cid}<") == 0


def test_cancelling_needs_a_note_shown_on_the_page(minsa):
    client, p = minsa
    cid = _commitment(client, p)
    base = f"/sectors/MINSA/commitments/{cid}"
    r = client.post(base + "/status", data={"csrf_token": csrf_of(client, base), "to": "cancelled"})
    assert r.status_code == 422 and "indique el motivo" in r.text


@pytest.mark.parametrize(
    "path",
    ["", "/editions/{e}", "/editions/{e}/agenda.pdf", "/commitments", "/commitments/{c}"],
)
def test_another_sectors_pages_and_other_roles_get_404(minsa, app, session, path):
    client, p = minsa
    cid = _commitment(client, p)
    rest = path.format(e=p.edition_id, c=cid)
    assert client.get(f"/sectors/MINSA{rest}").status_code == 200
    assert client.get(f"/sectors/MINEDU{rest}").status_code == 404
    minedu = make_user(session, Role.sector, sector_id=p.world.sectors["MINEDU"].id)
    other = login(TestClient(app, follow_redirects=False), minedu.email)
    assert other.get(f"/sectors/MINSA{rest}").status_code == 404
    if "commitments/" in rest:  # MINEDU under its own code: still not its commitment
        assert other.get(f"/sectors/MINEDU{rest}").status_code == 404
    for role in (Role.sd_admin, Role.delegation, Role.rapporteur):
        user = make_user(
            session,
            role,
            delegation_id=p.world.delegations[0].id if role == Role.delegation else None,
        )
        browser = login(TestClient(app, follow_redirects=False), user.email)
        assert browser.get(f"/sectors/MINSA{rest}").status_code == 404
