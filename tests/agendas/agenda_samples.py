"""A realistic MINSA agenda for the 12.º GORE Ejecutivo, built without a database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from app.agendas.render.model import (
    LIMA,
    Agenda,
    AgendaCommitment,
    AgendaDelegation,
    AgendaMeeting,
    AgendaSector,
    AgendaTopic,
    CancelledMeeting,
)

MINSA = AgendaSector(code="MINSA", name="Ministerio de Salud", minister="Dra. Ana María Quispe")
MINEDU = AgendaSector(code="MINEDU", name="Ministerio de Educación", minister="Sr. Jorge Núñez")

REGIONS = [
    ("CUS", "Gobierno Regional de Cusco", "Gobernador regional", "Jean Carlos Huamán Ríos"),
    ("JUN", "Gobierno Regional de Junín", "Gobernadora regional", "María Elena Ñahui Poma"),
    ("SMA", "Gobierno Regional de San Martín", "Gobernador regional", "Pedro Pablo Díaz Güemes"),
    ("ANC", "Gobierno Regional de Áncash", "Vicegobernador regional", "Óscar Iván Tello Cáceres"),
    ("APU", "Gobierno Regional de Apurímac", "Gobernador regional", "Raúl Ángel Contreras"),
    ("HUC", "Gobierno Regional de Huánuco", "Gobernadora regional", "Lucía Begoña Espíritu"),
]


def topics_for(i: int, code: str) -> tuple[AgendaTopic, ...]:
    cui = f"{2300000 + i * 1111:07d}"
    return (
        AgendaTopic(
            rank=1,
            title=f"Hospital de apoyo de {code}: saldo de obra",
            description=(
                "Culminación de la obra del hospital de apoyo (nivel II-2), con avance físico "
                "del 78 %. Se solicita la transferencia de recursos para el saldo de obra y el "
                "equipamiento biomédico, así como la asistencia técnica para la liquidación."
            ),
            kind="investment_project",
            cui=cui,
            amount_soles=Decimal("45678901.25") + i,
        ),
        AgendaTopic(
            rank=2,
            title="Contratación de médicos especialistas (SERUMS)",
            description="Plazas adicionales para zonas alejadas.",
            kind="budget_request",
            amount_soles=Decimal("1234567.00"),
        ),
        AgendaTopic(
            rank=3,
            title="Saneamiento físico-legal del terreno del puesto de salud",
            kind="administrative_blockage",
        ),
    )


def build_agenda(
    n_meetings: int = 6,
    *,
    shift_minutes: int = 0,
    sequence: int = 0,
    version: int = 1,
    cancelled: tuple[CancelledMeeting, ...] = (),
    first_topic_title: str | None = None,
) -> Agenda:
    day = datetime(2026, 3, 2, 9, 0, tzinfo=LIMA)
    meetings = []
    for i in range(n_meetings):
        code, name, title, person = REGIONS[i % len(REGIONS)]
        start = day + timedelta(minutes=25 * i + shift_minutes)
        topics = topics_for(i, name.removeprefix("Gobierno Regional de "))
        if first_topic_title is not None and i == 0:
            topics = (topics[0].model_copy(update={"title": first_topic_title}), *topics[1:])
        commitments = ()
        if i == 0:
            commitments = (
                AgendaCommitment(
                    description=(
                        "Transferir S/ 3.5 millones para el equipamiento del Hospital "
                        "Antonio Lorena (compromiso de la 11.ª edición)."
                    ),
                    responsible="Oficina General de Planeamiento, Presupuesto y Modernización",
                    deadline=date(2026, 4, 30),
                    status="in_progress",
                ),
            )
        meetings.append(
            AgendaMeeting(
                request_id=i + 1,
                start=start,
                end=start + timedelta(minutes=20),
                room="Sala 3 - Salud",
                delegation=AgendaDelegation(
                    code=f"{code}{i // len(REGIONS) or ''}",
                    name=name,
                    authority_title=title,
                    authority_name=person,
                ),
                sectors=(MINSA, MINEDU) if i == 4 else (MINSA,),
                topics=topics,
                open_commitments=commitments,
                sequence=sequence,
            )
        )
    return Agenda(
        edition_code="gore-12",
        edition_name="12.º GORE Ejecutivo",
        edition_venue="Centro de Convenciones de Lima",
        kind="sector",
        owner_code="MINSA",
        owner_name="Ministerio de Salud",
        version=version,
        generated_at=datetime(2026, 2, 26, 18, 30, tzinfo=LIMA),
        meetings=tuple(reversed(meetings)),  # renderers must sort by time
        cancelled=cancelled,
    )
