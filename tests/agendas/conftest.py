"""Fixtures: the sample MINSA agenda (see agenda_samples.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from agenda_samples import build_agenda

from app.agendas.render.model import Agenda


@pytest.fixture
def make_agenda() -> Callable[..., Agenda]:
    return build_agenda


@pytest.fixture
def agenda(make_agenda: Callable[..., Agenda]) -> Agenda:
    return make_agenda()
