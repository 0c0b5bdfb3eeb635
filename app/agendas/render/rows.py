"""The tabular view of an agenda shared by the XLSX and CSV renderers.

One row per topic per meeting (a meeting without topics still gets one row), meetings in
time order. Values keep their types (date, time, Decimal, int); each renderer formats them.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from app.agendas.render.fmt import authority_text
from app.agendas.render.model import AUTHORITY_LABELS, DELEGATION_LABELS, TOPIC_KIND_LABELS, Agenda

Value = str | int | Decimal | date | time | None

COLUMNS: tuple[str, ...] = (
    "Fecha",
    "Hora inicio",
    "Hora fin",
    "Sala",
    "{delegation}",
    "{authority}",
    "Sectores",
    "Prioridad",
    "Tema",
    "Descripción",
    "Tipo",
    "Código CUI",
    "Monto (S/)",
    "ID reunión",
)
AMOUNT_COLUMN = COLUMNS.index("Monto (S/)")
CUI_COLUMN = COLUMNS.index("Código CUI")


def header(agenda: Agenda) -> list[str]:
    """Spanish column titles ("Región"/"Gobernador(a)" or "Municipalidad"/"Alcalde(sa)")."""
    return [
        c.format(
            delegation=DELEGATION_LABELS[agenda.summit], authority=AUTHORITY_LABELS[agenda.summit]
        )
        for c in COLUMNS
    ]


def rows(agenda: Agenda) -> list[list[Value]]:
    out: list[list[Value]] = []
    for m in agenda.meetings_in_order():
        common: list[Value] = [
            m.start.date(),
            m.start.time().replace(tzinfo=None),
            m.end.time().replace(tzinfo=None),
            m.room,
            m.delegation.name,
            authority_text(m),
            "; ".join(f"{s.code} - {s.name}" for s in m.sectors),
        ]
        if not m.topics:
            out.append([*common, None, "", "", "", None, None, m.request_id])
        for t in m.topics:
            out.append(
                [
                    *common,
                    t.rank,
                    t.title,
                    t.description,
                    TOPIC_KIND_LABELS[t.kind],
                    t.cui,
                    t.amount_soles,
                    m.request_id,
                ]
            )
    return out
