"""Formatting helpers shared by the renderers: Spanish dates, soles, safe text."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from app.agendas.render.model import AgendaMeeting

_WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


def format_soles(amount: Decimal, *, symbol: bool = True) -> str:
    """Peruvian style: `S/ 1,234,567.00` (comma thousands, point decimals)."""
    text = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    return f"S/ {text}" if symbol else text


def format_date_long(value: date) -> str:
    """`lunes 2 de marzo de 2026`."""
    return f"{_WEEKDAYS[value.weekday()]} {value.day} de {_MONTHS[value.month - 1]} de {value.year}"


def format_date_short(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def format_time(value: datetime) -> str:
    return value.strftime("%H:%M")


def format_span(meeting: AgendaMeeting) -> str:
    return f"{format_time(meeting.start)} - {format_time(meeting.end)}"


def format_timestamp(value: datetime) -> str:
    return value.strftime("%d/%m/%Y %H:%M")


def authority_text(meeting: AgendaMeeting) -> str:
    """`Ana Quispe (Gobernador(a) regional)`; empty when the data has no name (a role
    placeholder alone says nothing)."""
    d = meeting.delegation
    if d.authority_name and d.authority_title:
        return f"{d.authority_name} ({d.authority_title})"
    return d.authority_name


def sectors_text(meeting: AgendaMeeting) -> str:
    return "; ".join(f"{s.code} - {s.name}" for s in meeting.sectors)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]")


def clean_text(text: str) -> str:
    """Text as the PDF draws it: NFC, tabs as four spaces, no carriage returns, zero-width
    or other control characters (newlines kept). Never raises."""
    text = unicodedata.normalize("NFC", text).replace("\r", "").replace("\t", "    ")
    return _CONTROL.sub("", text)
