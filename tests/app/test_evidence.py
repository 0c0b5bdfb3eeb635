"""Evidence of commitments: links, files and notes added by the responsible party or the SD
at any status (also after `executed`), all in one list; a size limit and a type check by
content, files served back only to the SD and the responsible parties."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from dbutil import sqlite_url
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlmodel import select
from test_commitments_support import assign, commitment_body, published

from app.commitments.evidence import CommitmentEvidence, sniff
from app.commitments.models import CommitmentEvent, EventKind
from app.core.migrations import downgrade, upgrade
from app.main import create_app

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def small(settings, engine, tmp_path) -> tuple[TestClient, Path]:
    """A client of an app whose evidence goes to tmp_path, at most 4 KB per file."""
    app = create_app(
        settings.model_copy(update={"evidence_dir": tmp_path, "evidence_max_bytes": 4096}),
        engine=engine,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, tmp_path


def _commitment(client: TestClient, p) -> int:
    r = client.post(
        f"/api/editions/{p.edition_id}/meetings/{p.request('D1')}/commitments",
        json=commitment_body(p),
        headers=p.sd(),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_sniffing_looks_at_the_content():
    assert sniff(PDF) == "application/pdf"
    assert sniff(PNG) == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0" + b"0" * 10) == "image/jpeg"
    assert sniff(_docx()).endswith("wordprocessingml.document")
    assert sniff(b"MZ\x90\x00 an executable") is None
    assert sniff(b"PK\x03\x04 not really a zip") is None


def test_links_and_files_at_any_status_read_only_by_the_parties(small, session, settings):
    client, folder = small
    p = published(session, settings)
    assign(client, p, "A", [p.request("D1")])
    cid = _commitment(client, p)
    base = f"/api/commitments/{cid}/evidence"
    status = f"/api/commitments/{cid}/status"
    moved = client.post(status, json={"to": "in_process"}, headers=p.as_("MINSA"))
    assert moved.status_code == 200  # evidence comes after the status change
    bare = client.post(status, json={"to": "executed"}, headers=p.as_("MINSA"))
    assert bare.status_code == 422  # executed needs evidence, given or already attached
    link = client.post(
        base + "/links",
        json={"url": "https://www.gob.pe/minsa/resolucion-45", "note": "Resolución"},
        headers=p.as_("MINSA"),
    )
    assert link.status_code == 201, link.text
    done = client.post(status, json={"to": "executed"}, headers=p.as_("MINSA"))
    assert done.status_code == 200, done.text  # the attached link is its evidence
    r = client.post(
        base + "/files",
        files={"file": ("oficio.pdf", PDF, "application/pdf")},
        data={"note": "Oficio firmado"},
        headers=p.as_("D1"),
    )
    assert r.status_code == 201, r.text
    file_id = r.json()["id"]
    assert r.json()["media_type"] == "application/pdf" and r.json()["size"] == len(PDF)
    stored = session.exec(select(CommitmentEvidence).where(CommitmentEvidence.id == file_id)).one()
    assert (folder / stored.stored_name).read_bytes() == PDF

    listed = client.get(base, headers=p.as_("D1")).json()
    assert [e["url"] or e["filename"] for e in listed] == [
        "https://www.gob.pe/minsa/resolucion-45",
        "oficio.pdf",
    ]
    for who in ("MINSA", "D1"):
        back = client.get(f"{base}/{file_id}/file", headers=p.as_(who))
        assert back.status_code == 200 and back.content == PDF
    assert client.get(f"{base}/{file_id}/file", headers=p.sd()).status_code == 200
    for who in ("MINEDU", "D2", "A"):  # another sector, another delegation, the rapporteur
        assert client.get(f"{base}/{file_id}/file", headers=p.as_(who)).status_code == 404
        assert client.get(base, headers=p.as_(who)).status_code == 404
        denied = client.post(base + "/files", files={"file": ("x.pdf", PDF)}, headers=p.as_(who))
        assert denied.status_code == 404


def test_size_limit_and_type_check_store_nothing(small, session, settings):
    client, folder = small
    p = published(session, settings)
    cid = _commitment(client, p)
    url = f"/api/commitments/{cid}/evidence/files"
    big = client.post(url, files={"file": ("grande.pdf", PDF + b"0" * 5000)}, headers=p.sd())
    assert big.status_code == 413 and "tamaño máximo" in big.json()["detail"]
    exe = client.post(url, files={"file": ("informe.pdf", b"MZ\x90\x00")}, headers=p.sd())
    assert exe.status_code == 415 and "Tipo de archivo no admitido" in exe.json()["detail"]
    renamed = client.post(url, files={"file": ("foto.pdf", PNG)}, headers=p.sd())
    assert renamed.status_code == 415  # a PNG named .pdf
    docx = client.post(url, files={"file": ("acta.docx", _docx())}, headers=p.sd())
    assert docx.status_code == 201
    bad_link = client.post(
        f"/api/commitments/{cid}/evidence/links",
        json={"url": "javascript:alert(1)"},
        headers=p.sd(),
    )
    assert bad_link.status_code == 422
    assert bad_link.headers["content-type"].startswith("application/problem+json")
    assert len(list(folder.iterdir())) == 1
    assert len(session.exec(select(CommitmentEvidence)).all()) == 1


def test_one_evidence_list_whatever_the_route(small, session, settings):
    """The text sent with a status change, a note, a link, a file and the deprecated one-text
    route all end up in the one list; `executed` rests on it."""
    client, _ = small
    p = published(session, settings)
    cid = _commitment(client, p)
    base = f"/api/commitments/{cid}"
    name = {
        who: client.get("/api/me", headers=p.as_(who)).json()["name"] for who in ("MINSA", "D1")
    }
    name["SD"] = client.get("/api/me", headers=p.sd()).json()["name"]
    r = client.post(
        base + "/status",
        json={"to": "executed", "evidence": "Oficio 45-2030", "note": "Transferencia hecha"},
        headers=p.as_("MINSA"),
    )
    assert r.status_code == 200, r.text
    note = client.post(base + "/evidence/notes", json={"note": "Acta 7"}, headers=p.as_("D1"))
    assert note.status_code == 201 and note.json()["note"] == "Acta 7"
    assert note.json()["url"] is None and note.json()["filename"] is None
    assert (
        client.post(base + "/evidence/notes", json={"note": " "}, headers=p.sd()).status_code == 422
    )
    old = client.post(
        base + "/evidence",
        json={"evidence": "https://www.gob.pe/minsa/resolucion-45", "note": "Resolución"},
        headers=p.sd(),
    )
    assert old.status_code == 201 and old.json()["kind"] == "evidence"  # the old shape
    client.post(base + "/evidence", json={"evidence": "Informe 3 firmado"}, headers=p.sd())
    client.post(base + "/evidence/files", files={"file": ("acta.pdf", PDF)}, headers=p.sd())
    listed = client.get(base + "/evidence", headers=p.as_("MINSA")).json()
    assert [(e["url"], e["filename"], e["note"], e["added_by"]) for e in listed] == [
        (None, None, "Oficio 45-2030", name["MINSA"]),
        (None, None, "Acta 7", name["D1"]),
        ("https://www.gob.pe/minsa/resolucion-45", None, "Resolución", name["SD"]),
        (None, None, "Informe 3 firmado", name["SD"]),
        (None, "acta.pdf", None, name["SD"]),
    ]
    for who in ("MINEDU", "D2", "A"):
        r = client.post(base + "/evidence/notes", json={"note": "x"}, headers=p.as_(who))
        assert r.status_code == 404
    operation = client.get("/openapi.json").json()["paths"][
        "/api/commitments/{commitment_id}/evidence"
    ]
    assert operation["post"]["deprecated"] is True


def test_executed_needs_a_row_of_the_evidence_table(small, session, settings):
    """Evidence only in the history (an event's text, as written before 0012) does not count:
    `executed` needs a link, a file or a note in the evidence list."""
    client, _ = small
    p = published(session, settings)
    cid = _commitment(client, p)
    session.add(
        CommitmentEvent(
            commitment_id=cid,
            kind=EventKind.evidence,
            evidence="Oficio suelto",
            actor_name="SD",
            actor_role="sd_admin",
        )
    )
    session.commit()
    status = f"/api/commitments/{cid}/status"
    refused = client.post(status, json={"to": "executed"}, headers=p.as_("MINSA"))
    assert refused.status_code == 422 and "evidencia" in refused.json()["detail"]
    note = client.post(
        f"/api/commitments/{cid}/evidence/notes", json={"note": "Oficio 9"}, headers=p.as_("MINSA")
    )
    assert note.status_code == 201
    done = client.post(status, json={"to": "executed"}, headers=p.as_("MINSA"))
    assert done.status_code == 200, done.text


def test_the_migration_moves_the_evidence_texts_into_the_table(tmp_path):
    """0012 copies each event's evidence text into the evidence table (a link as url, any
    other text as a note); its downgrade takes them out again."""
    url = sqlite_url(tmp_path, "evidence.db")
    upgrade(url, "0011")
    at = dt.datetime(2030, 3, 2, 14, 0)
    engine = create_engine(url)  # foreign keys off: the commitment's parties are not needed
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO commitment (id, source, description, sector_id, type, status,"
                    " status_changed_at, created_at, created_by, updated_at)"
                    " VALUES (1, 'recorded', 'Saldo de obra', 1, 'technical', 'executed',"
                    " :at, :at, 'SD', :at)"
                ),
                {"at": at},
            )
            for kind, evidence in [
                ("created", None),
                ("status", "Oficio 45-2030"),
                ("evidence", "https://www.gob.pe/minsa/resolucion-45"),
                ("evidence", "https://www.gob.pe/a b"),
            ]:
                conn.execute(
                    text(
                        "INSERT INTO commitment_event (commitment_id, kind, evidence, changes,"
                        " actor_name, actor_role, at) VALUES (1, :k, :e, '{}', 'MINSA',"
                        " 'sector', :at)"
                    ),
                    {"k": kind, "e": evidence, "at": at},
                )
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT url, note, added_by FROM commitment_evidence ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [
            (None, "Oficio 45-2030", "MINSA"),
            ("https://www.gob.pe/minsa/resolucion-45", None, "MINSA"),
            (None, "https://www.gob.pe/a b", "MINSA"),
        ]
        downgrade(url, "0011")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM commitment_evidence")).scalar() == 0
    finally:
        engine.dispose()
