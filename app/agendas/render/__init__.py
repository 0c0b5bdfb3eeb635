"""Agenda documents as pure functions: an `Agenda` in, bytes (or a dict) out.

No database and no web framework here: a later step builds the `Agenda` from a published
schedule and stores or sends what these functions return.
"""

from app.agendas.render.csv import render_csv
from app.agendas.render.ics import event_uid, render_ics, render_ics_cancel
from app.agendas.render.json import agenda_from_dict, agenda_to_dict, render_json
from app.agendas.render.model import (
    Agenda,
    AgendaCommitment,
    AgendaDelegation,
    AgendaMeeting,
    AgendaSector,
    AgendaTopic,
    CancelledMeeting,
)
from app.agendas.render.pdf import render_grid_pdf, render_pdf, render_room_sheet_pdf
from app.agendas.render.xlsx import render_xlsx

__all__ = [
    "Agenda",
    "AgendaCommitment",
    "AgendaDelegation",
    "AgendaMeeting",
    "AgendaSector",
    "AgendaTopic",
    "CancelledMeeting",
    "agenda_from_dict",
    "agenda_to_dict",
    "event_uid",
    "render_csv",
    "render_grid_pdf",
    "render_ics",
    "render_ics_cancel",
    "render_json",
    "render_pdf",
    "render_room_sheet_pdf",
    "render_xlsx",
]
