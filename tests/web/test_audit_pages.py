"""The audit log page over HTTP: a write from a page is recorded under the logged-in
account, the SD filters the entries and downloads them as XLSX; other roles see no page."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlmodel import Session, col, select
from test_submissions_support import set_status
from web_support import csrf_of

from app.access.models import Role, User
from app.core.audit import AuditEntry
from app.submissions.models import Topic

HX = {"HX-Request": "true"}


def _accept_one(sd, session: Session, world) -> Topic:
    set_status(session, world.edition, "in_review")
    base = f"/editions/{world.edition.id}/review"
    topic = session.exec(select(Topic).order_by(col(Topic.id))).first()
    assert topic is not None
    r = sd.post(f"{base}/topics/{topic.id}/accept", data={"csrf_token": csrf_of(sd, base)})
    assert r.status_code in (200, 303), r.text
    return topic


def test_a_page_write_is_recorded_under_the_account(login_as, world, session):
    sd = login_as(Role.sd_admin)
    topic = _accept_one(sd, session, world)
    user = session.exec(select(User).where(User.role == Role.sd_admin)).one()
    session.expire_all()
    [row] = session.exec(
        select(AuditEntry).where(
            AuditEntry.object_type == "topic",
            AuditEntry.object_id == str(topic.id),
            AuditEntry.action == "update",
        )
    ).all()
    assert (row.actor_kind, row.actor_id, row.actor_label, row.role) == (
        "user",
        user.id,
        user.email,
        "sd_admin",
    )
    assert row.after["status"] == "accepted" and row.request_id


def test_the_sd_filters_the_log_and_downloads_it(login_as, world, session):
    sd = login_as(Role.sd_admin)
    topic = _accept_one(sd, session, world)
    user = session.exec(select(User).where(User.role == Role.sd_admin)).one()
    page = sd.get("/audit")
    assert page.status_code == 200
    assert "Registro de auditoría" in page.text and 'href="/audit" aria-current="page"' in page.text
    assert user.email in page.text and "sistema" in page.text
    mine = sd.get(f"/audit?actor={user.email}", headers=HX | {"HX-Target": "audit-table"})
    assert "<html" not in mine.text  # the table alone
    assert mine.text.count("<tr>") - 1 == 1 and f"topic {topic.id}" in mine.text
    assert "cambio" in mine.text and "accepted" in mine.text
    none = sd.get("/audit?objeto=topic&desde=2100-01-01")
    assert "No hay registros con estos filtros." in none.text
    link = f'href="/audit/registro.xlsx?actor={user.email.replace("@", "%40")}"'
    assert link in mine.text
    download = sd.get(f"/audit/registro.xlsx?actor={user.email}")
    assert download.status_code == 200
    rows = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][3] == user.email and rows[1][6] == "topic"


def test_other_roles_have_no_audit_page(login_as, world):
    for role in (Role.delegation, Role.sector, Role.rapporteur):
        client = login_as(role, world)
        assert client.get("/audit").status_code == 404
        assert client.get("/audit/registro.xlsx").status_code == 404
        assert 'href="/audit"' not in client.get("/password").text
