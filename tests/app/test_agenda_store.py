"""Agenda documents stored per published version: rendered once, then served as stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from factories import auth
from sqlmodel import Session, func, select
from test_publication_support import LIMA, at, make_world, meeting, solve_run

from app.agendas import formats, store
from app.agendas.formats import AgendaFormat
from app.agendas.service import build_agenda, load_context
from app.agendas.store import AgendaDocument, Rendered
from app.mail.models import OutboxAttachment, OutboxMessage
from app.scheduling.publication import current_version

INSIDE = dt.datetime(2030, 2, 26, 9, 0, tzinfo=LIMA)


@pytest.fixture
def published(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    r = client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": solve_run(session, world)},
        headers=auth(world.sd_token),
    )
    assert r.status_code == 201, r.text
    return world


def _get(client, world, path, token, **params):
    return client.get(
        f"/api/editions/{world.edition.id}/agendas/{path}", params=params, headers=auth(token)
    )


def _rows(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(AgendaDocument)).one()


def test_a_second_download_serves_the_stored_document(client, session, published):
    world, token = published, published.tokens["MINSA"]
    rows, renders = _rows(session), store.RENDERS[AgendaFormat.xlsx]
    first = _get(client, world, "sectors/MINSA", token, format="xlsx")
    assert first.status_code == 200
    assert store.RENDERS[AgendaFormat.xlsx] == renders + 1
    assert _rows(session) == rows + 1
    second = _get(client, world, "sectors/MINSA", token, format="xlsx")
    assert second.status_code == 200 and second.content == first.content
    assert store.RENDERS[AgendaFormat.xlsx] == renders + 1  # not rendered again
    assert _rows(session) == rows + 1
    etag = f'"{hashlib.sha256(first.content).hexdigest()}"'
    assert first.headers["etag"] == second.headers["etag"] == etag
    assert second.headers["content-disposition"] == 'attachment; filename="agenda-MINSA-v1.xlsx"'
    assert second.headers["content-type"] == formats.content_type(AgendaFormat.xlsx)


def test_publication_stores_the_e_mailed_pdf_and_ics(client, session, published):
    world = published
    renders = store.RENDERS[AgendaFormat.pdf], store.RENDERS[AgendaFormat.ics]
    pdf = _get(client, world, "sectors/MINSA", world.tokens["MINSA"], format="pdf")
    ics = _get(client, world, "delegations/D1", world.tokens["D1"], format="ics")
    assert pdf.status_code == ics.status_code == 200
    assert (store.RENDERS[AgendaFormat.pdf], store.RENDERS[AgendaFormat.ics]) == renders
    # the e-mail carries the very bytes the download serves
    message = session.exec(select(OutboxMessage).where(OutboxMessage.party_code == "MINSA")).first()
    assert message is not None
    version = current_version(session=session, edition=world.edition)
    stored = session.exec(
        select(AgendaDocument).where(
            AgendaDocument.version_id == version.id,
            AgendaDocument.kind == "sector",
            AgendaDocument.format == "pdf",
            AgendaDocument.owner_id == world.sectors["MINSA"].id,
        )
    ).one()
    assert stored.content == pdf.content
    attached = session.exec(
        select(OutboxAttachment).where(
            OutboxAttachment.message_id == message.id,
            OutboxAttachment.content_type == "application/pdf",
        )
    ).one()
    assert attached.content == pdf.content


def _comparable(content: bytes, fmt: AgendaFormat) -> object:
    """The bytes; for XLSX the files in the archive but the creation time (openpyxl writes
    the time of saving there and in the archive's entries)."""
    if fmt != AgendaFormat.xlsx:
        return content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize("fmt", list(AgendaFormat))
def test_stored_bytes_equal_the_rendering_of_the_version(client, session, published, fmt):
    world = published
    version = current_version(session=session, edition=world.edition)
    ctx = load_context(session=session, edition=world.edition, version=version)
    room = world.rooms[0]
    cases = [
        ("sectors/MINSA", world.tokens["MINSA"], "sector", world.sectors["MINSA"].id),
        (
            "delegations/D2",
            world.tokens["D2"],
            "delegation",
            next(d.id for d in world.delegations if d.code == "D2"),
        ),
        (f"rooms/{room.id}", world.sd_token, "room", room.id),
        ("grid", world.sd_token, "edition", None),
    ]
    for path, token, kind, owner_id in cases:
        for _ in range(2):  # first download (rendered or stored at publication), then stored
            r = _get(client, world, path, token, format=fmt.value)
            assert r.status_code == 200, (path, r.text)
            agenda = build_agenda(ctx, kind=kind, owner_id=owner_id)
            assert _comparable(r.content, fmt) == _comparable(formats.render(agenda, fmt), fmt)


def test_a_new_version_gets_new_documents(client, session, published):
    world, token = published, published.tokens["MINSA"]
    v1 = _get(client, world, "sectors/MINSA", token, format="pdf")
    moved = world.requests[("D1", "MINSA")]
    plan2 = [m for m in world.plan if m.request_id != moved]
    plan2.append(meeting(moved, world.rooms[1], at(12, 0)))
    r = client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": solve_run(session, world, plan2)},
        headers=auth(world.sd_token),
    )
    assert r.status_code == 201
    renders = store.RENDERS[AgendaFormat.csv]
    v2 = _get(client, world, "sectors/MINSA", token, format="pdf")
    assert v2.headers["content-disposition"] == 'attachment; filename="agenda-MINSA-v2.pdf"'
    assert v2.headers["etag"] != v1.headers["etag"] and v2.content != v1.content
    old = _get(client, world, "sectors/MINSA", token, format="pdf", version=1)
    assert old.content == v1.content and old.headers["etag"] == v1.headers["etag"]
    csv1 = _get(client, world, "sectors/MINSA", token, format="csv", version=1)
    csv2 = _get(client, world, "sectors/MINSA", token, format="csv")
    assert store.RENDERS[AgendaFormat.csv] == renders + 2  # one per version
    assert csv1.content != csv2.content


def test_the_first_stored_document_stays(session, published):
    """Two first downloads racing both render, and the unique key keeps one row."""
    version = current_version(session=session, edition=published.edition)
    for content in (b"first", b"second"):
        store.save(
            session=session,
            version_id=version.id,
            kind="sector",
            owner_id=published.sectors["MINEDU"].id,
            fmt=AgendaFormat.csv,
            rendered=Rendered(content, "agenda-MINEDU-v1.csv"),
        )
    session.commit()
    rows = session.exec(
        select(AgendaDocument).where(
            AgendaDocument.version_id == version.id,
            AgendaDocument.owner_id == published.sectors["MINEDU"].id,
            AgendaDocument.format == "csv",
        )
    ).all()
    assert [r.content for r in rows] == [b"first"]


def test_if_none_match_answers_304_after_the_access_check(client, published):
    world, token = published, published.tokens["MINSA"]
    first = _get(client, world, "sectors/MINSA", token, format="pdf")
    etag = first.headers["etag"]
    path = f"/api/editions/{world.edition.id}/agendas/sectors/MINSA"
    again = client.get(
        path, params={"format": "pdf"}, headers=auth(token) | {"If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get(
        path, params={"format": "pdf"}, headers=auth(token) | {"If-None-Match": '"other"'}
    )
    assert other.status_code == 200 and other.content == first.content
    foreign = client.get(
        path, params={"format": "pdf"}, headers=auth(world.tokens["D1"]) | {"If-None-Match": etag}
    )
    assert foreign.status_code == 404
