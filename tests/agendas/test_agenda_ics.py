from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar

from app.agendas.render.ics import event_uid, render_ics, render_ics_cancel
from app.agendas.render.model import LIMA, CancelledMeeting


def events(data: bytes) -> list:
    return Calendar.from_ical(data).walk("VEVENT")


def test_one_event_per_meeting_with_lima_times(agenda):
    data = render_ics(agenda)
    cal = Calendar.from_ical(data)
    assert str(cal["METHOD"]) == "PUBLISH"
    evs = cal.walk("VEVENT")
    assert len(evs) == 6
    first = min(evs, key=lambda e: e.decoded("DTSTART"))
    assert first["DTSTART"].params["TZID"] == "America/Lima"
    assert first["DTEND"].params["TZID"] == "America/Lima"
    assert first.decoded("DTSTART") == datetime(2026, 3, 2, 9, 0, tzinfo=LIMA)
    assert first.decoded("DTEND") - first.decoded("DTSTART") == timedelta(minutes=20)
    assert str(first["SUMMARY"]) == "Bilateral: Gobierno Regional de Cusco \u2013 MINSA"
    assert str(first["LOCATION"]) == "Sala 3 - Salud, Centro de Convenciones de Lima"
    description = str(first["DESCRIPTION"])
    assert "1. Hospital de apoyo de Cusco: saldo de obra" in description
    assert "CUI 2300000" in description and "S/ 45,678,901.25" in description
    assert "Transferir S/ 3.5 millones" in description
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/Lima"]
    assert b"TZID=America/Lima:20260302T090000" in data
    multisector = [e for e in evs if "MINEDU" in str(e["SUMMARY"])]
    assert str(multisector[0]["SUMMARY"]).startswith("Multisectorial: ")
    assert all(str(e["STATUS"]) == "CONFIRMED" for e in evs)


def test_uid_stable_across_versions_and_sequence_from_caller(make_agenda):
    v1 = events(render_ics(make_agenda(version=1)))
    v2 = events(render_ics(make_agenda(version=2, shift_minutes=40, sequence=3)))
    uids1 = {str(e["UID"]): e for e in v1}
    uids2 = {str(e["UID"]): e for e in v2}
    assert set(uids1) == set(uids2)
    assert event_uid("gore-12", 1) in uids1
    uid = event_uid("gore-12", 1)
    assert uids2[uid].decoded("DTSTART") - uids1[uid].decoded("DTSTART") == timedelta(minutes=40)
    assert int(uids1[uid]["SEQUENCE"]) == 0
    assert int(uids2[uid]["SEQUENCE"]) == 3


def test_output_is_deterministic(agenda):
    assert render_ics(agenda) == render_ics(agenda)


def test_cancelled_meetings(make_agenda):
    gone = CancelledMeeting(
        request_id=99,
        start=datetime(2026, 3, 2, 15, 0, tzinfo=LIMA),
        end=datetime(2026, 3, 2, 15, 20, tzinfo=LIMA),
        sequence=2,
        summary="Bilateral: Gobierno Regional de Puno \u2013 MINSA",
    )
    agenda = make_agenda(cancelled=(gone,))
    evs = events(render_ics(agenda))
    assert len(evs) == 7
    (cancelled,) = [e for e in evs if str(e["STATUS"]) == "CANCELLED"]
    assert str(cancelled["UID"]) == event_uid("gore-12", 99)
    assert int(cancelled["SEQUENCE"]) == 2
    assert cancelled["DTSTART"].params["TZID"] == "America/Lima"
    assert str(cancelled["SUMMARY"]).startswith("Cancelada: Bilateral: Gobierno Regional de Puno")

    cancel = Calendar.from_ical(render_ics_cancel(agenda, organizer_email="sd@example.org"))
    assert str(cancel["METHOD"]) == "CANCEL"
    (only,) = cancel.walk("VEVENT")
    assert str(only["UID"]) == event_uid("gore-12", 99)
    assert str(only["ORGANIZER"]) == "mailto:sd@example.org"
