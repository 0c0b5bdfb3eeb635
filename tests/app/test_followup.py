"""Follow-up: the summary against hand-computed figures (JSON, XLSX, CSV), the agenda of the
next edition listing open commitments, and the demo history reproducing the report."""

from __future__ import annotations

import datetime as dt
import io
import json

from factories import auth, create_delegation, create_key, create_sector
from openpyxl import load_workbook
from sqlmodel import select

from app.access.models import Role


def _post(client, token, **body):
    r = client.post("/api/commitments", json=body, headers=auth(token))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_summary_matches_hand_computed_figures(client, session, frozen_now):
    frozen_now(dt.datetime(2030, 1, 5, 12, 0, tzinfo=dt.UTC))  # written before the deadlines
    salud = create_sector(session, "SALUD", name='=HYPERLINK("http://x")')  # hostile name
    vivienda = create_sector(session, "VIV", name="Ministerio de Vivienda")
    cusco = create_delegation(session, "CUS", name="Gobierno Regional del Cusco")
    junin = create_delegation(session, "JUN", name="Gobierno Regional de Junín")
    _, sd = create_key(session, Role.sd_admin)
    _, salud_key = create_key(session, Role.sector, sector=salud)
    _, junin_key = create_key(session, Role.delegation, delegation=junin)
    _, rapporteur = create_key(session, Role.rapporteur)
    # SALUD: 3 executed, 1 in process, 2 pending (one overdue), 1 cancelled -> 7
    # VIV:   1 executed, 1 pending -> 2;  delegations: CUS 6, JUN 3
    plan = [
        (salud, cusco, "executed", "technical"),
        (salud, cusco, "executed", "technical"),
        (salud, junin, "executed", "administrative"),
        (salud, cusco, "in_process", "administrative"),
        (salud, cusco, "pending", "administrative"),  # overdue (deadline 2030-01-10)
        (salud, junin, "pending", "technical"),
        (salud, cusco, "cancelled", "technical"),
        (vivienda, cusco, "executed", "budgetary"),
        (vivienda, junin, "pending", "budgetary"),
    ]
    for i, (s, d, status, ctype) in enumerate(plan):
        _post(
            client,
            sd,
            description=f"Compromiso de prueba {i}",
            sector_id=s.id,
            delegation_id=d.id,
            type=ctype,
            status=status,
            deadline="2030-01-10" if i == 4 else "2030-12-31",
            amount="100.00" if ctype == "budgetary" else None,
            evidence="Acta de entrega" if status == "executed" else None,
        )
    frozen_now(dt.datetime(2030, 1, 15, 12, 0, tzinfo=dt.UTC))
    r = client.get("/api/commitments/summary", params={"group_by": "sector"}, headers=auth(sd))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] | {"key": None} == {
        "key": None,
        "name": "Total",
        "total": 9,
        "executed": 4,
        "in_process": 1,
        "pending": 3,
        "cancelled": 1,
        "overdue": 1,
        "pct_executed": 44.4,
        "pct_in_process": 11.1,
        "pct_pending": 33.3,
        "pct_cancelled": 11.1,
    }
    by_key = {g["key"]: g for g in body["groups"]}
    assert [g["key"] for g in body["groups"]] == ["SALUD", "VIV"]
    assert (by_key["SALUD"]["total"], by_key["SALUD"]["executed"]) == (7, 3)
    assert (by_key["SALUD"]["pct_executed"], by_key["SALUD"]["overdue"]) == (42.9, 1)
    assert (by_key["VIV"]["pct_executed"], by_key["VIV"]["pct_pending"]) == (50.0, 50.0)

    def groups(token, group_by, **params):
        r = client.get(
            "/api/commitments/summary",
            params={"group_by": group_by, **params},
            headers=auth(token),
        )
        assert r.status_code == 200, r.text
        return {g["key"]: (g["total"], g["executed"]) for g in r.json()["groups"]}

    assert groups(sd, "delegation") == {"CUS": (6, 3), "JUN": (3, 1)}
    assert groups(sd, "type") == {
        "technical": (4, 2),
        "administrative": (3, 1),
        "budgetary": (2, 1),
    }
    assert groups(sd, "edition") == {"-": (9, 4)}
    # sectors and delegations see their own commitments only; rapporteurs nothing
    assert groups(salud_key, "sector") == {"SALUD": (7, 3)}
    assert groups(junin_key, "sector") == {"SALUD": (2, 1), "VIV": (1, 0)}
    r = client.get("/api/commitments/summary", headers=auth(rapporteur))
    assert r.status_code == 404

    # CSV: UTF-8 with BOM, the hostile sector name neutralised
    r = client.get(
        "/api/commitments/summary", params={"group_by": "sector", "format": "csv"}, headers=auth(sd)
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Código,Nombre,Total,Ejecutados,% ejecutados")
    assert lines[1].startswith('SALUD,"\'=HYPERLINK(""http://x"")",7,3,42.9,1,14.3,2,28.6')
    assert lines[-1].startswith("total,Total,9,4,44.4")
    # XLSX: the same figures, the hostile text stored as text
    r = client.get(
        "/api/commitments/summary",
        params={"group_by": "sector", "format": "xlsx"},
        headers=auth(sd),
    )
    assert r.status_code == 200 and r.content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0][:5] == ("Código", "Nombre", "Total", "Ejecutados", "% ejecutados")
    assert rows[1][:4] == ("SALUD", '\'=HYPERLINK("http://x")', 7, 3)
    assert sheet.cell(row=4, column=2).data_type == "s"
    assert rows[-1][:4] == ("total", "Total", 9, 4)


def test_next_edition_agenda_lists_open_commitments(client, session, settings):
    """Commitments of earlier editions between MINSA and D1/D2 show in the agenda of the
    next edition's MINSA meetings with those delegations; executed ones do not."""
    from test_publication_support import make_world

    from app.agendas.delivery import publish_meetings
    from app.commitments.models import CommitmentImport
    from app.commitments.service import bulk_insert

    world = make_world(session)
    minsa, minedu = world.sectors["MINSA"], world.sectors["MINEDU"]
    d1, d2, d3 = world.delegations
    rows = []
    for sector, d, status, text in [
        (minsa, d1, "pending", "Transferir recursos para el hospital de Cusco"),
        (minsa, d1, "in_process", "Asistencia técnica para el expediente del centro de salud"),
        (minsa, d1, "executed", "Equipar el puesto de salud (ejecutado)"),
        (minsa, d2, "pending", "Saneamiento del terreno del hospital de Junín"),
        (minsa, d3, "cancelled", "Compromiso cancelado de D3"),
        (minedu, d1, "pending", "Compromiso de educación con D1"),
    ]:
        rows.append(
            {
                "edition_id": None,
                "edition_label": "11.º GORE Ejecutivo",
                "sector_id": sector.id,
                "delegation_id": d.id,
                "type": "technical",
                "status": status,
                "description": text,
                "deadline": dt.date(2029, 6, 30),
                "executed_at": None,
                "amount": None,
                "cui": None,
            }
        )
    bulk_insert(
        session=session,
        rows=rows,
        batch=CommitmentImport(filename="t.csv", sha256="x" * 64, rows=6, imported_by="t"),
        actor_name="test",
        actor_role="sd_admin",
        actor_key_id=None,
    )
    session.commit()
    publish_meetings(
        session=session,
        edition=world.edition,
        meetings=world.plan,
        published_by="SD",
        now=dt.datetime(2030, 1, 10, 15, 0, tzinfo=dt.UTC),
        settings=settings,
    )
    session.commit()
    r = client.get(
        f"/api/editions/{world.edition.id}/agendas/sectors/MINSA",
        params={"format": "json"},
        headers=auth(world.tokens["MINSA"]),
    )
    assert r.status_code == 200, r.text
    agenda = json.loads(r.content)
    by_delegation = {
        m["delegation"]["code"]: [c["description"] for c in m["open_commitments"]]
        for m in agenda["meetings"]
    }
    assert by_delegation == {
        "D1": [
            "Transferir recursos para el hospital de Cusco (11.º GORE Ejecutivo)",
            "Asistencia técnica para el expediente del centro de salud (11.º GORE Ejecutivo)",
        ],
        "D2": ["Saneamiento del terreno del hospital de Junín (11.º GORE Ejecutivo)"],
        "D3": [],
    }
    d1_meeting = next(m for m in agenda["meetings"] if m["delegation"]["code"] == "D1")
    assert [c["status"] for c in d1_meeting["open_commitments"]] == ["pending", "in_progress"]
    assert d1_meeting["open_commitments"][0]["deadline"] == "2029-06-30"
    assert d1_meeting["open_commitments"][0]["responsible"].startswith("MINSA y ")
    # MINEDU's agenda carries its own open commitment with D1 only
    r = client.get(
        f"/api/editions/{world.edition.id}/agendas/sectors/MINEDU",
        params={"format": "json"},
        headers=auth(world.tokens["MINEDU"]),
    )
    minedu_agenda = json.loads(r.content)
    listed = [c["description"] for m in minedu_agenda["meetings"] for c in m["open_commitments"]]
    assert listed == ["Compromiso de educación con D1 (11.º GORE Ejecutivo)"]


def test_demo_history_reproduces_the_report(client, session, database_url, monkeypatch):
    from sqlmodel import func
    from typer.testing import CliRunner

    from app.cli import cli
    from app.commitments.models import Commitment, CommitmentEvent
    from app.demo_data.commitments import SECTOR_COUNTS

    monkeypatch.setenv("ARTICULA_DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    assert runner.invoke(cli, ["demo"]).exit_code == 0  # idempotent
    assert session.exec(select(func.count()).select_from(Commitment)).one() == 5712
    assert session.exec(select(func.count()).select_from(CommitmentEvent)).one() == 5712
    assert sum(SECTOR_COUNTS.values()) == 5712
    _, sd = create_key(session, Role.sd_admin)

    def summary(**params):
        r = client.get("/api/commitments/summary", params=params, headers=auth(sd))
        assert r.status_code == 200, r.text
        return r.json()

    total = summary()["total"]
    assert (total["total"], total["executed"], total["in_process"], total["pending"]) == (
        5712,
        4879,
        506,
        327,
    )
    assert (round(total["pct_executed"]), round(total["pct_in_process"])) == (85, 9)
    assert round(total["pct_pending"]) == 6 and total["cancelled"] == 0
    by_sector = {g["key"]: g for g in summary(group_by="sector")["groups"]}
    assert {k: g["total"] for k, g in by_sector.items()} == SECTOR_COUNTS
    assert round(by_sector["MINSA"]["pct_executed"]) == 94
    assert round(by_sector["MINEDU"]["pct_executed"]) == 98
    assert round(by_sector["MTC"]["pct_executed"]) == 71
    assert round(by_sector["MINDEF"]["pct_executed"]) == 62
    assert round(by_sector["MVCS"]["pct_executed"]) == 65
    delegations = summary(group_by="delegation")["groups"]
    assert len(delegations) == 26
    assert [(g["key"], g["total"]) for g in delegations[:3]] == [
        ("SAM", 347),
        ("JUN", 307),
        ("CUS", 300),
    ]
    editions = summary(group_by="edition")["groups"]
    assert len(editions) == 11 and sum(g["total"] for g in editions) == 5712
    types = {g["key"] for g in summary(group_by="type")["groups"]}
    assert types == {"administrative", "technical", "budgetary"}
