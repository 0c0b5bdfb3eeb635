"""The demo's commitment history: 5,712 commitments of the 1st to 11th GORE Ejecutivo shaped
like the figures of the PCM's 2019 report, *GORE Ejecutivo: Una Ruta Hacia la Articulación*.

Exact, so the follow-up summary reproduces them:
- per sector: MINSA 1,277; MINEDU 1,017; MTC 693; ... (the 23 counts sum to 5,712 exactly,
  no reconciliation needed). OSINFOR, CONCYTEC and PROINVERSIÓN are not in the demo's
  ministry catalogue, so the history adds them as sectors (bodies attached to PCM and MEF).
- by status: executed 4,879 (85%), in process 506 (9%), pending 327 (6%), none cancelled.
- per sector compliance where the report gives it: Health 94%, Education 98%, Transport 71%,
  Defense 62%, Housing 65% (rounded to whole commitments); the other sectors share the rest.
- per delegation: San Martín 347, Junín 307, Cusco 300 (the top three); the other 23 share
  the remaining 4,758 with fixed, decreasing weights (all below 300).
Chosen (the report does not say): the edition of each commitment (older editions mostly
executed, open ones mostly in recent editions), types (about 40% administrative, 38%
technical, 22% budgetary), deadlines, amounts, CUIs and descriptions, from a fixed seed.
Edition dates are those of the report where it gives them (1st, 2nd, 7th), else approximate.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

SECTOR_COUNTS: dict[str, int] = {
    "MINSA": 1277,
    "MINEDU": 1017,
    "MTC": 693,
    "MVCS": 440,
    "MINAGRI": 430,
    "PRODUCE": 270,
    "MINEM": 240,
    "MINCETUR": 172,
    "CULTURA": 135,
    "MIDIS": 122,
    "MINAM": 118,
    "MTPE": 89,
    "MINDEF": 69,
    "MIMP": 65,
    "MININTER": 45,
    "MINJUS": 28,
    "RREE": 20,
    "MEF": 310,
    "PCM": 76,
    "ARCC": 59,
    "OSINFOR": 19,
    "CONCYTEC": 12,
    "PROINVERSION": 6,
}
TOTAL = 5712
EXECUTED, IN_PROCESS, PENDING = 4879, 506, 327
COMPLIANCE = {"MINSA": 0.94, "MINEDU": 0.98, "MTC": 0.71, "MINDEF": 0.62, "MVCS": 0.65}

# Bodies with commitments in the report that the demo catalogue (SECTORS) does not have.
EXTRA_SECTORS: list[tuple[str, str, str]] = [
    (
        "OSINFOR",
        "Organismo de Supervisión de los Recursos Forestales y de Fauna Silvestre",
        "osinfor",
    ),
    ("CONCYTEC", "Consejo Nacional de Ciencia, Tecnología e Innovación Tecnológica", "concytec"),
    ("PROINVERSION", "Agencia de Promoción de la Inversión Privada (PROINVERSIÓN)", "proinversion"),
]

TOP_DELEGATIONS = {"SAM": 347, "JUN": 307, "CUS": 300}
OTHER_DELEGATIONS = [  # decreasing weights, scaled to the remaining 4,758
    ("ANC", 290),
    ("PIU", 280),
    ("CAJ", 270),
    ("PUN", 260),
    ("AYA", 250),
    ("HVC", 245),
    ("APU", 240),
    ("LAL", 230),
    ("ARE", 225),
    ("AMA", 220),
    ("LOR", 210),
    ("HUC", 205),
    ("ICA", 200),
    ("LAM", 195),
    ("LIP", 190),
    ("UCA", 185),
    ("PAS", 180),
    ("MOQ", 175),
    ("TAC", 170),
    ("TUM", 160),
    ("MDD", 150),
    ("CAL", 140),
    ("LIM", 130),
]

# (name, first day, commitments): the 1st..11th editions, 2016-2019.
EDITIONS: list[tuple[str, dt.date, int]] = [
    ("1.º GORE Ejecutivo", dt.date(2016, 9, 1), 430),
    ("2.º GORE Ejecutivo", dt.date(2016, 11, 7), 520),
    ("3.º GORE Ejecutivo", dt.date(2017, 2, 16), 560),
    ("4.º GORE Ejecutivo", dt.date(2017, 5, 18), 540),
    ("5.º GORE Ejecutivo", dt.date(2017, 8, 24), 600),
    ("6.º GORE Ejecutivo", dt.date(2017, 11, 23), 560),
    ("7.º GORE Ejecutivo", dt.date(2018, 3, 1), 640),
    ("8.º GORE Ejecutivo", dt.date(2018, 6, 14), 520),
    ("9.º GORE Ejecutivo", dt.date(2018, 8, 30), 500),
    ("10.º GORE Ejecutivo", dt.date(2018, 10, 25), 470),
    ("11.º GORE Ejecutivo", dt.date(2019, 2, 21), 372),
]

TEMPLATES: dict[str, list[str]] = {
    "administrative": [
        "Emitir la resolución que aprueba la transferencia del terreno del proyecto",
        "Designar un equipo de enlace para el seguimiento de los expedientes",
        "Absolver las observaciones al expediente técnico en un plazo de 30 días",
        "Suscribir el convenio de cooperación interinstitucional",
        "Actualizar el registro del proyecto en el Banco de Inversiones",
    ],
    "technical": [
        "Brindar asistencia técnica para la formulación del expediente técnico",
        "Enviar un equipo técnico para evaluar la infraestructura existente",
        "Capacitar al personal del gobierno regional en formulación de proyectos",
        "Revisar y dar conformidad al estudio de preinversión",
    ],
    "budgetary": [
        "Transferir recursos para la continuidad de la obra",
        "Incorporar el proyecto en la programación multianual de inversiones",
        "Financiar el saldo de obra mediante decreto supremo",
        "Asignar presupuesto para el equipamiento del establecimiento",
    ],
}

MARKER = "articula-demo-history-v1"  # the import batch's identity (idempotent loading)
FILENAME = "demo: historial GORE Ejecutivo 2016-2019"


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder): sums exactly."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def sector_statuses() -> dict[str, tuple[int, int, int]]:
    """(executed, in process, pending) per sector, with the exact overall totals."""
    fixed = {code: round(SECTOR_COUNTS[code] * rate) for code, rate in COMPLIANCE.items()}
    others = [c for c in SECTOR_COUNTS if c not in fixed]
    shares = apportion(EXECUTED - sum(fixed.values()), [SECTOR_COUNTS[c] for c in others])
    executed = fixed | dict(zip(others, shares, strict=True))
    codes = list(SECTOR_COUNTS)
    open_counts = [SECTOR_COUNTS[c] - executed[c] for c in codes]
    in_process = apportion(IN_PROCESS, [float(n) for n in open_counts])
    # a sector's in-process share cannot exceed its open commitments
    return {
        c: (executed[c], ip, SECTOR_COUNTS[c] - executed[c] - ip)
        for c, ip in zip(codes, in_process, strict=True)
    }


def delegation_counts() -> dict[str, int]:
    rest = apportion(TOTAL - sum(TOP_DELEGATIONS.values()), [w for _c, w in OTHER_DELEGATIONS])
    return TOP_DELEGATIONS | {c: n for (c, _w), n in zip(OTHER_DELEGATIONS, rest, strict=True)}


def history_rows(
    *, sector_ids: dict[str, int], delegations: dict[str, tuple[int, str]]
) -> list[dict[str, Any]]:
    """The 5,712 rows (column -> value) for `bulk_insert`; deterministic."""
    rng = random.Random(2018)
    items: list[tuple[str, str]] = []  # (sector code, status)
    for code, (ex, ip, pe) in sector_statuses().items():
        items += [(code, "executed")] * ex + [(code, "in_process")] * ip + [(code, "pending")] * pe
    people = [code for code, n in delegation_counts().items() for _ in range(n)]
    rng.shuffle(people)
    # older editions: mostly executed; open commitments mostly from the recent ones
    keyed = sorted(
        range(len(items)),
        key=lambda i: rng.random() + (0.45 if items[i][1] != "executed" else 0.0),
    )
    editions = [e for e in EDITIONS for _ in range(e[2])]
    rows: list[dict[str, Any]] = []
    for position, i in enumerate(keyed):
        sector, status = items[i]
        delegation = people[i]
        name, first_day, _n = editions[position]
        ctype = rng.choices(["administrative", "technical", "budgetary"], [40, 38, 22])[0]
        deadline = first_day + dt.timedelta(days=rng.choice([30, 45, 60, 90, 120, 180]))
        executed_at = None
        if status == "executed":
            executed_at = first_day + dt.timedelta(
                days=rng.randint(10, (deadline - first_day).days + 60)
            )
        amount = None
        if ctype == "budgetary":
            amount = Decimal(rng.randrange(150_000, 60_000_000, 500)).quantize(Decimal("0.01"))
        cui = None
        if ctype == "budgetary" or (ctype == "technical" and rng.random() < 0.5):
            cui = f"{rng.randint(2_000_000, 2_499_999)}"
        delegation_id, delegation_name = delegations[delegation]
        text = rng.choice(TEMPLATES[ctype])
        rows.append(
            {
                "edition_id": None,
                "edition_label": name,
                "sector_id": sector_ids[sector],
                "delegation_id": delegation_id,
                "type": ctype,
                "status": status,
                "description": f"{text} ({sector}, {delegation_name}).",
                "deadline": deadline,
                "executed_at": executed_at,
                "amount": amount,
                "cui": cui,
            }
        )
    return rows
