from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from agenda_samples import build_agenda
from pydantic import ValidationError

from app.agendas.render import render_csv, render_xlsx
from app.agendas.render.model import LIMA, AgendaTopic

HOSTILE = "=cmd\x07\x1b “ok” 🚑"


def test_datetimes_are_aware_and_in_lima():
    agenda = build_agenda(1)
    m = agenda.meetings[0]
    assert m.start.tzinfo == LIMA
    utc = type(m).model_validate({**m.model_dump(), "start": m.start.astimezone(tz=None)})
    assert utc.start.tzinfo == LIMA and utc.start == m.start
    with pytest.raises(ValidationError, match="timezone-aware"):
        type(m).model_validate({**m.model_dump(), "start": datetime(2026, 3, 2, 9)})
    with pytest.raises(ValidationError, match="end after"):
        type(m).model_validate({**m.model_dump(), "end": m.start - timedelta(minutes=1)})


def test_topic_rules():
    AgendaTopic(rank=1, title="x", cui="0123456", amount_soles=Decimal("10.50"))
    with pytest.raises(ValidationError):
        AgendaTopic(rank=1, title="x", cui="123456")
    with pytest.raises(ValidationError):
        AgendaTopic(rank=1, title="x", amount_soles=Decimal("-1"))
    with pytest.raises(ValidationError):
        AgendaTopic(rank=1, title="x", amount_soles=Decimal("1.005"))
    with pytest.raises(ValidationError):
        AgendaTopic(rank=0, title="x")


def test_meeting_ids_unique_and_topics_in_order():
    agenda = build_agenda(2)
    m = agenda.meetings[0]
    with pytest.raises(ValidationError, match="unique"):
        type(agenda).model_validate({**agenda.model_dump(), "meetings": [m, m]})
    with pytest.raises(ValidationError, match="priority order"):
        type(m).model_validate(
            {**m.model_dump(), "topics": list(reversed(m.model_dump()["topics"]))}
        )


def test_models_are_frozen():
    agenda = build_agenda(1)
    with pytest.raises(ValidationError):
        agenda.version = 2


def test_control_characters_in_spreadsheets():
    agenda = build_agenda(1, first_topic_title=HOSTILE)
    assert render_xlsx(agenda)[:2] == b"PK"  # openpyxl refuses control characters: stripped
    assert b"'=cmd" in render_csv(agenda)
