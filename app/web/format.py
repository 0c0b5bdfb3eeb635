"""Jinja2 filters for dates, times and amounts in Spanish (Babel, es_PE), in Lima time.

`fecha`: "lunes 22 de diciembre de 2026"; `hora`: "09:20"; `fecha_hora`: both joined by a
comma; `soles`: "S/ 45,000,000.00" (CLDR's es_PE format, the one the MEF and the SD use in
their reports); `plazo`: "3 días" until an instant.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, format_timedelta
from babel.numbers import format_currency, format_decimal

LOCALE = "es_PE"
LIMA = ZoneInfo("America/Lima")
DATE_PATTERN = "EEEE d 'de' MMMM 'de' y"


def to_lima(value: dt.datetime, tz: ZoneInfo = LIMA) -> dt.datetime:
    """An aware instant on the Lima clock (naive values are taken as UTC, like the DB)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz)


def fecha(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = to_lima(value).date()
    return format_date(value, DATE_PATTERN, locale=LOCALE)


def hora(value: dt.time | dt.datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = to_lima(value).time()
    return format_time(value, "HH:mm", locale=LOCALE)


def fecha_hora(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return f"{fecha(value)}, {hora(value)}"


def fecha_corta(value: dt.date | dt.datetime | None) -> str:
    """ "22/12/2026 09:20" for dense tables."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return to_lima(value).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def soles(value: Decimal | float | int | None) -> str:
    if value is None:
        return "—"
    return format_currency(value, "PEN", locale=LOCALE)


def numero(value: int | float | Decimal | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value, locale=LOCALE)


def plazo(target: dt.datetime | None, now: dt.datetime) -> str:
    """How long until `target` ("3 días", "5 horas"); "vencido" once it has passed."""
    if target is None:
        return "sin fecha"
    delta = target - now
    if delta.total_seconds() <= 0:
        return "vencido"
    return format_timedelta(delta, threshold=1.5, locale=LOCALE)


FILTERS = {
    "fecha": fecha,
    "hora": hora,
    "fecha_hora": fecha_hora,
    "fecha_corta": fecha_corta,
    "soles": soles,
    "numero": numero,
}
