"""The Spanish formats of the pages: Lima clock, dates with Babel es_PE, amounts in soles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.web.format import fecha, fecha_corta, fecha_hora, hora, plazo, soles

pytestmark = pytest.mark.nodb
NBSP = "\xa0"


def test_dates_and_times_are_spanish_on_the_lima_clock():
    instant = dt.datetime(2026, 12, 22, 14, 20, tzinfo=dt.UTC)  # 09:20 in Lima (UTC-5)
    assert fecha_hora(instant) == "martes 22 de diciembre de 2026, 09:20"
    assert fecha(dt.date(2030, 3, 1)) == "viernes 1 de marzo de 2030"
    assert hora(dt.time(9, 5)) == "09:05"
    # 03:00 UTC is still the previous day in Lima
    assert fecha(dt.datetime(2027, 1, 1, 3, 0, tzinfo=dt.UTC)) == "jueves 31 de diciembre de 2026"
    assert fecha_corta(instant) == "22/12/2026 09:20"
    assert fecha(None) == hora(None) == fecha_hora(None) == "—"


def test_amounts_in_soles():
    assert soles(Decimal("45000000")) == f"S/{NBSP}45,000,000.00"
    assert soles(Decimal("1234.5")) == f"S/{NBSP}1,234.50"
    assert soles(None) == "—"


def test_countdowns():
    now = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    assert plazo(now + dt.timedelta(days=10), now) == "10 días"
    assert plazo(now + dt.timedelta(hours=5), now) == "5 horas"
    assert plazo(now - dt.timedelta(minutes=1), now) == "vencido"
    assert plazo(None, now) == "sin fecha"
