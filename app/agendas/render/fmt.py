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
    d = meeting.delegation
    if d.authority_name and d.authority_title:
        return f"{d.authority_name} ({d.authority_title})"
    return d.authority_name or d.authority_title


def sectors_text(meeting: AgendaMeeting) -> str:
    return "; ".join(f"{s.code} - {s.name}" for s in meeting.sectors)


# Typographic characters outside latin-1 and their closest latin-1 spelling.
_LATIN1_MAP = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\u20ac": "EUR",
    "\u2122": "TM",
    "\u2116": "N.\u00ba",
    "\u2009": " ",
    "\u200a": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u0131": "i",
    "\t": "    ",
}


# Printable latin-1 and newlines: such text is NFC already and `to_latin1` returns it as is.
_ALREADY_LATIN1 = re.compile("[\n\x20-\x7e\xa0-\xff]*")


def to_latin1(text: str) -> str:
    """Text the PDF core fonts can draw: latin-1 only, no control characters.

    Known typographic characters get their usual ASCII spelling, accented letters outside
    latin-1 lose their accent (NFKD), anything else becomes `?`. Never raises.
    """
    if _ALREADY_LATIN1.fullmatch(text):  # the common case, and called for every PDF string
        return text
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _LATIN1_MAP:
            out.append(_LATIN1_MAP[ch])
        elif ch == "\n":
            out.append(ch)
        elif ch == "\r":
            continue
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0:
            out.append(" ")
        elif ord(ch) < 0x100:
            out.append(ch)
        else:
            base = "".join(
                c
                for c in unicodedata.normalize("NFKD", ch)
                if not unicodedata.combining(c) and ord(c) < 0x100
            )
            out.append(base if base and base.isprintable() else "?")
    return "".join(out)
