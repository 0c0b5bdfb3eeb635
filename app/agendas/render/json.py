"""JSON view of an agenda: a stable dict (ISO 8601 datetimes with offset, Decimal as string)."""

from __future__ import annotations

import json
from typing import Any

from app.agendas.render.model import Agenda

FORMAT = "articula.agenda/2"  # 2: a meeting is named by its integer `request_id`


def agenda_to_dict(agenda: Agenda) -> dict[str, Any]:
    """Plain JSON-ready dict; meetings in time order; keys in model field order."""
    ordered = agenda.model_copy(update={"meetings": tuple(agenda.meetings_in_order())})
    return {"format": FORMAT, **ordered.model_dump(mode="json")}


def agenda_from_dict(data: dict[str, Any]) -> Agenda:
    """Inverse of `agenda_to_dict` (validates again)."""
    payload = {k: v for k, v in data.items() if k != "format"}
    if data.get("format", FORMAT) != FORMAT:
        raise ValueError(f"unknown agenda format {data.get('format')!r}")
    return Agenda.model_validate(payload)


def render_json(agenda: Agenda) -> bytes:
    return json.dumps(agenda_to_dict(agenda), ensure_ascii=False, indent=2).encode("utf-8")
