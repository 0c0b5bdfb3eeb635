"""iCalendar rendering (RFC 5545) of an agenda, for the ministries' and governors' calendars.

* One VEVENT per meeting. The UID is derived from the edition code and the meeting's request
  id only (`<edition_code>-r<request_id>@articula.pe`), so it never changes across agenda
  versions and a client updates the event in place. SEQUENCE is `meeting.sequence`: the
  caller raises it whenever the meeting changes (time, room, participants), as RFC 5546
  requires for an update to win.
* DTSTART/DTEND carry TZID=America/Lima and the calendar holds the matching VTIMEZONE.
* METHOD handling: `render_ics` publishes one calendar with METHOD:PUBLISH holding the scheduled
  meetings and, for every meeting cancelled since an earlier version, a VEVENT with the same UID,
  a higher SEQUENCE and STATUS:CANCELLED. Calendar clients importing or subscribing to the file
  (Outlook, Google, Apple) remove or strike out those events. `render_ics_cancel` renders only the
  cancelled meetings with METHOD:CANCEL, the iTIP message to attach to a cancellation e-mail; RFC
  5546 wants an ORGANIZER there, so it takes the organizer's address.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from app.agendas.render.fmt import (
    authority_text,
    format_date_long,
    format_soles,
    format_span,
)
from app.agendas.render.model import (
    AUTHORITY_LABELS,
    COMMITMENT_STATUS_LABELS,
    DELEGATION_LABELS,
    TOPIC_KIND_LABELS,
    Agenda,
    AgendaMeeting,
    CancelledMeeting,
)

UID_DOMAIN = "articula.pe"
PRODID = "-//PCM Secretaria de Descentralizacion//Articula//ES"


def event_uid(edition_code: str, request_id: int) -> str:
    """Stable UID of a meeting's event: the same in every version of every agenda."""
    return f"{edition_code}-r{request_id}@{UID_DOMAIN}"


def meeting_summary(meeting: AgendaMeeting) -> str:
    """`Bilateral: Gobierno Regional de Cusco – MINSA` (multisector: `Multisectorial: ...`)."""
    prefix = "Bilateral" if len(meeting.sectors) == 1 else "Multisectorial"
    return f"{prefix}: {meeting.delegation.name} \u2013 {meeting.sector_codes}"


def meeting_description(agenda: Agenda, meeting: AgendaMeeting) -> str:
    lines = [
        f"{agenda.edition_name} - {format_date_long(meeting.start.date())}, {format_span(meeting)}",
        f"Sala: {meeting.room}",
        f"{DELEGATION_LABELS[agenda.summit]}: {meeting.delegation.name}",
    ]
    if authority_text(meeting):
        lines.append(f"{AUTHORITY_LABELS[agenda.summit]}: {authority_text(meeting)}")
    for s in meeting.sectors:
        minister = f" ({s.minister})" if s.minister else ""
        lines.append(f"Sector: {s.name} - {s.code}{minister}")
    lines += ["", "Temas priorizados:"]
    if not meeting.topics:
        lines.append("Sin temas registrados")
    for t in meeting.topics:
        facts = [TOPIC_KIND_LABELS[t.kind]]
        if t.cui:
            facts.append(f"CUI {t.cui}")
        if t.amount_soles is not None:
            facts.append(format_soles(t.amount_soles))
        lines.append(f"{t.rank}. {t.title} ({', '.join(facts)})")
        if t.description:
            lines.append(f"   {t.description}")
    lines += ["", "Compromisos pendientes de ediciones anteriores:"]
    if not meeting.open_commitments:
        lines.append("Sin compromisos pendientes")
    for c in meeting.open_commitments:
        extra = [COMMITMENT_STATUS_LABELS[c.status]]
        if c.responsible:
            extra.append(f"responsable: {c.responsible}")
        if c.deadline:
            extra.append(f"plazo: {c.deadline:%d/%m/%Y}")
        lines.append(f"- {c.description} ({'; '.join(extra)})")
    if meeting.more_commitments:
        lines.append(f"(y {meeting.more_commitments} más antiguos, en el sistema de seguimiento)")
    return "\n".join(lines)


def _location(agenda: Agenda, room: str) -> str:
    return f"{room}, {agenda.edition_venue}" if agenda.edition_venue else room


def _calendar(agenda: Agenda, method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", f"Agenda {agenda.owner_name} - {agenda.edition_name}")
    cal.add("x-wr-timezone", agenda.timezone)
    return cal


def _base_event(agenda: Agenda, request_id: int, start: datetime, end: datetime, seq: int) -> Event:
    ev = Event()
    ev.add("uid", event_uid(agenda.edition_code, request_id))
    ev.add("dtstamp", agenda.generated_at)  # deterministic output: stamp = generation time
    ev.add("dtstart", start)
    ev.add("dtend", end)
    ev.add("sequence", seq)
    return ev


def _cancelled_event(agenda: Agenda, c: CancelledMeeting) -> Event:
    ev = _base_event(agenda, c.request_id, c.start, c.end, c.sequence)
    ev.add("summary", f"Cancelada: {c.summary}" if c.summary else "Reunión cancelada")
    ev.add("status", "CANCELLED")
    ev.add("transp", "TRANSPARENT")
    return ev


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, first_date: date, last_date: date) -> Timezone:
    """The VTIMEZONE of `tzid` for the period (computing it from the zoneinfo transitions is
    most of an .ics's cost; a publication's agendas share it). Shared: never mutate it."""
    return Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date)


def _finish(agenda: Agenda, cal: Calendar, dates: list[datetime]) -> bytes:
    """Serialise, with the VTIMEZONE of every TZID used (what `add_missing_timezones` does)."""
    if dates:
        first_date = (min(dates) - timedelta(days=366)).date()
        last_date = (max(dates) + timedelta(days=366)).date()
        at = len(cal.timezones)
        for tzid in sorted(cal.get_missing_tzids()):
            try:
                timezone = _vtimezone(tzid, first_date, last_date)
            except ValueError:  # unknown to zoneinfo: left out, as icalendar does
                continue
            cal.subcomponents.insert(at, timezone)
            at += 1
    return cal.to_ical()


def render_ics(agenda: Agenda) -> bytes:
    """METHOD:PUBLISH calendar: scheduled meetings plus STATUS:CANCELLED events."""
    cal = _calendar(agenda, "PUBLISH")
    for m in agenda.meetings_in_order():
        ev = _base_event(agenda, m.request_id, m.start, m.end, m.sequence)
        ev.add("summary", meeting_summary(m))
        ev.add("location", vText(_location(agenda, m.room)))
        ev.add("description", meeting_description(agenda, m))
        ev.add("status", "CONFIRMED")
        ev.add("categories", [agenda.edition_name, *(s.code for s in m.sectors)])
        cal.add_component(ev)
    for c in agenda.cancelled:
        cal.add_component(_cancelled_event(agenda, c))
    dates = [m.start for m in agenda.meetings] + [c.start for c in agenda.cancelled]
    return _finish(agenda, cal, dates)


def render_ics_cancel(agenda: Agenda, *, organizer_email: str) -> bytes:
    """METHOD:CANCEL iTIP message with only the agenda's cancelled meetings."""
    cal = _calendar(agenda, "CANCEL")
    for c in agenda.cancelled:
        ev = _cancelled_event(agenda, c)
        organizer = vCalAddress(f"mailto:{organizer_email}")
        organizer.params["cn"] = vText("Secretaría de Descentralización - PCM")
        ev.add("organizer", organizer)
        cal.add_component(ev)
    return _finish(agenda, cal, [c.start for c in agenda.cancelled])
