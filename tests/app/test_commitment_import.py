"""History import: good CSV and XLSX files, bad and hostile ones (formulas, wrong types,
huge files, a mixed file imports nothing), SD only."""

from __future__ import annotations

import io

from factories import auth, create_delegation, create_key, create_sector
from openpyxl import Workbook
from sqlmodel import func, select

from app.access.models import Role
from app.commitments.models import Commitment, CommitmentEvent

URL = "/api/commitments/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = (
    "edition;delegation_code;sector_code;type;description;deadline;status;amount;cui;executed_at"
)


def _world(session):
    create_sector(session, "MINSA", name="Ministerio de Salud")
    create_sector(session, "MTC", name="Ministerio de Transportes y Comunicaciones")
    create_delegation(session, "CUS", name="Gobierno Regional del Cusco")
    create_delegation(session, "SAM", name="Gobierno Regional de San Martín")
    return create_key(session, Role.sd_admin, name="Equipo SD")[1]


def _count(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Commitment)).one()


def _upload(client, token, data: bytes, name="historial.csv", ctype="text/csv"):
    return client.post(URL, files={"file": (name, data, ctype)}, headers=auth(token))


def test_good_csv_imports_every_row(client, session):
    sd = _world(session)
    text = "\n".join(
        [
            # Spanish headers and values, semicolons, a BOM: what Excel in Peru saves
            "Edición;Delegación;Sector;Tipo;Descripción;Plazo;Estado;Monto;CUI;Fecha_ejecución",
            "7.º GORE Ejecutivo;CUS;MINSA;presupuestal;Transferir recursos al hospital;"
            "30/06/2018;ejecutado;12,500,000.50;2234567;15/06/2018",
            "7.º GORE Ejecutivo;SAM;MTC;técnico;Asistencia técnica para la carretera;"
            "2018-09-30;en proceso;;;",
            "8.º GORE Ejecutivo;SAM;;administrativo;Enviar el expediente al MEF;;pendiente;;;",
            ";;;;;;;;;",  # blank rows are skipped
        ]
    )
    r = _upload(client, sd, ("\ufeff" + text).encode("utf-8"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["imported"] == 3
    assert body["by_status"] == {"executed": 1, "in_process": 1, "pending": 1}
    assert body["by_type"] == {"budgetary": 1, "technical": 1, "administrative": 1}
    rows = {c.description: c for c in session.exec(select(Commitment)).all()}
    hospital = rows["Transferir recursos al hospital"]
    assert str(hospital.amount) == "12500000.50" and hospital.cui == "2234567"
    assert hospital.executed_at.isoformat() == "2018-06-15"
    assert hospital.source == "imported" and hospital.edition_label == "7.º GORE Ejecutivo"
    assert hospital.edition_id is None and hospital.request_id is None
    assert rows["Enviar el expediente al MEF"].sector_id is None
    events = session.exec(select(CommitmentEvent)).all()
    assert len(events) == 3 and {e.kind for e in events} == {"imported"}
    assert {e.actor_name for e in events} == {"Equipo SD"}
    # the same file twice: 409, nothing added
    r = _upload(client, sd, ("\ufeff" + text).encode("utf-8"))
    assert r.status_code == 409 and _count(session) == 3
    # the imported commitments are in the summary
    s = client.get("/api/commitments/summary", headers=auth(sd)).json()["total"]
    assert (s["total"], s["executed"], s["in_process"], s["pending"]) == (3, 1, 1, 1)


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_formula_text_is_stored_as_plain_text(client, session):
    import datetime as dt

    sd = _world(session)
    data = _xlsx(
        [
            HEADER.split(";"),
            [
                "9.º GORE Ejecutivo",
                "CUS",
                "MINSA",
                "budgetary",
                '=HYPERLINK("http://evil.example","clic")',
                dt.date(2018, 12, 31),
                "pending",
                1500000,
                2345678,
                None,
            ],
            ["9.º GORE Ejecutivo", "SAM", "MINSA", "technical", "@SUM(A1:A2)", None, "executed"],
        ]
    )
    r = _upload(client, sd, data, "historial.xlsx", XLSX)
    assert r.status_code == 201, r.text
    texts = set(session.exec(select(Commitment.description)).all())
    assert texts == {'=HYPERLINK("http://evil.example","clic")', "@SUM(A1:A2)"}
    c = session.exec(select(Commitment).where(Commitment.delegation_id.is_not(None))).all()
    assert {x.cui for x in c} == {"2345678", None}
    # exported again, the text is neutralised
    r = client.get("/api/commitments", headers=auth(sd))
    assert r.status_code == 200 and r.json()["total"] == 2


def test_mixed_file_imports_nothing_and_reports_rows(client, session):
    sd = _world(session)
    lines = [
        HEADER,
        "1.º GORE Ejecutivo;CUS;MINSA;technical;Un compromiso correcto;2016-12-31;executed;;;",
        "1.º GORE Ejecutivo;XYZ;MINSA;technical;Delegación desconocida;2016-12-31;pending;;;",
        "1.º GORE Ejecutivo;CUS;MINSA;budgetary;Presupuestal sin monto;2016-12-31;pending;;;",
        "1.º GORE Ejecutivo;CUS;MINSA;magic;Tipo raro;mañana;listo;abc;12;",
        "1.º GORE Ejecutivo;CUS;MINSA;technical;Fórmula en el monto;;pending;=1+2;;",
        "1.º GORE Ejecutivo;CUS;MINSA;technical;Ejecutado con fecha;;pending;;;2017-01-01",
        "1.º GORE Ejecutivo;;;technical;Sin responsable;;pending;;;",
        "1.º GORE Ejecutivo;CUS;MINSA;technical;;;pending;;;",
    ]
    r = _upload(client, sd, "\n".join(lines).encode())
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert "No se importó ningún compromiso" in body["detail"]
    errors = {(e["row"], e["column"]) for e in body["errors"]}
    assert errors == {
        (3, "delegation_code"),
        (4, "amount"),
        (5, "type"),
        (5, "deadline"),
        (5, "status"),
        (5, "amount"),
        (5, "cui"),
        (6, "amount"),
        (7, "executed_at"),
        (8, "delegation_code/sector_code"),
        (9, "description"),
    }
    messages = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert messages[(3, "delegation_code")] == "no existe una delegación con código 'XYZ'"
    assert "fórmulas no se evalúan" in messages[(6, "amount")]
    assert body["error_count"] == 11
    assert _count(session) == 0


def test_missing_columns_and_unreadable_files(client, session):
    sd = _world(session)
    r = _upload(client, sd, b"foo,bar\n1,2\n")
    assert r.status_code == 422
    assert {e["column"] for e in r.json()["errors"]} == {
        "type",
        "description",
        "status",
        "delegation_code/sector_code",
    }
    r = _upload(client, sd, b"PK\x03\x04 this is not a workbook", "x.xlsx", XLSX)
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "archivo"
    r = _upload(client, sd, b"")
    assert r.status_code == 422
    # the raw body (no multipart) is accepted too
    body = HEADER + "\n;CUS;;administrative;Compromiso enviado sin formulario;;pending;;;\n"
    r = client.post(
        URL,
        content=body.encode(),
        params={"filename": "crudo.csv"},
        headers=auth(sd) | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 201 and r.json()["filename"] == "crudo.csv"
    assert _count(session) == 1


def test_huge_files_are_413(client, session):
    sd = _world(session)
    big = HEADER + "\n" + ("1.º;CUS;MINSA;technical;" + "x" * 1000 + ";;pending;;;\n") * 5300
    assert len(big) > 5 * 1024 * 1024
    r = _upload(client, sd, big.encode())
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    many = HEADER + "\n" + ";CUS;;technical;Fila;;pending;;;\n" * 20_001
    assert len(many) < 5 * 1024 * 1024
    r = _upload(client, sd, many.encode())
    assert r.status_code == 413 and "20 000" in r.json()["detail"]
    assert _count(session) == 0


def test_import_is_sd_only(client, session):
    _world(session)
    sector = session.exec(select(Commitment)).first()
    assert sector is None
    from app.editions.models import Delegation, Sector

    minsa = session.exec(select(Sector).where(Sector.code == "MINSA")).one()
    cus = session.exec(select(Delegation).where(Delegation.code == "CUS")).one()
    for role, kwargs in [
        (Role.sector, {"sector": minsa}),
        (Role.delegation, {"delegation": cus}),
        (Role.rapporteur, {}),
    ]:
        _, token = create_key(session, role, **kwargs)
        r = _upload(client, token, (HEADER + "\n;CUS;;technical;Fila;;pending;;;\n").encode())
        assert r.status_code == 404, role
    assert _count(session) == 0
