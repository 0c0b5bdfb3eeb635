"""The set-up page over HTTP: rooms, participants, unavailability in Lima clock times,
time blocks in draft; errors next to their fields with nothing stored."""

from __future__ import annotations

import datetime as dt

from factories import create_delegation, create_edition
from sqlmodel import Session, func, select
from web_support import post_form

from app.access.models import Role
from app.editions.models import DayBlock, EditionDelegation, Room, Unavailability


def _count(session: Session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_the_page_shows_days_blocks_and_rooms_in_lima_time(login_as, world):
    sd = login_as(Role.sd_admin)
    r = sd.get(f"/editions/{world.edition.id}/setup")
    assert r.status_code == 200
    assert "Día 1: viernes 1 de marzo de 2030" in r.text
    assert "<td>10:00</td>" in r.text and "<td>13:00</td>" in r.text
    assert "solo se pueden cambiar mientras la edición es un borrador" in r.text


def test_a_room_is_added_and_a_bad_one_is_explained(login_as, world, session: Session):
    sd = login_as(Role.sd_admin)
    page = f"/editions/{world.edition.id}/setup"
    minsa = world.sectors["MINSA"].id
    r = post_form(
        sd,
        page + "/rooms",
        {"name": "Sala Salud", "capacity": "25", "reserved_sector_id": str(minsa)},
        page=page,
    )
    assert r.status_code == 303
    room = session.exec(select(Room).where(Room.name == "Sala Salud")).one()
    assert room.capacity == 25 and room.reserved_sector_id == minsa
    assert "Sala «Sala Salud» creada." in sd.get(page).text

    for data, message in (
        ({"name": "Sala Salud", "capacity": "10"}, "Ya existe una sala llamada «Sala Salud»"),
        ({"name": "", "capacity": "10"}, "Este campo es obligatorio."),
        ({"name": "Sala X", "capacity": "0"}, "Debe ser mayor o igual que 1."),
    ):
        r = post_form(sd, page + "/rooms", data, page=page)
        assert r.status_code == 422 and message in r.text, data
        assert 'aria-invalid="true"' in r.text
    assert _count(session, Room) == 1


def test_participants_by_code(login_as, world, session: Session):
    create_delegation(session, "PUN")
    sd = login_as(Role.sd_admin)
    page = f"/editions/{world.edition.id}/setup"
    r = post_form(sd, page + "/participants", {"delegation_codes": "pun, ZZZ"}, page=page)
    assert r.status_code == 422 and "No existen delegaciones con los códigos: ZZZ." in r.text
    assert _count(session, EditionDelegation) == 2
    r = post_form(sd, page + "/participants", {"delegation_codes": "pun"}, page=page)
    assert r.status_code == 303 and _count(session, EditionDelegation) == 3


def test_unavailability_in_lima_clock_times(login_as, world, session: Session):
    sd = login_as(Role.sd_admin)
    page = f"/editions/{world.edition.id}/setup"
    party = f"delegation:{world.delegations['CUS'].id}"
    bad = post_form(
        sd,
        page + "/unavailability",
        {"party": party, "date": "2030-03-01", "start_time": "12:00", "end_time": "11:00"},
        page=page,
    )
    assert bad.status_code == 422 and "debe empezar antes de terminar" in bad.text
    assert _count(session, Unavailability) == 0
    r = post_form(
        sd,
        page + "/unavailability",
        {
            "party": party,
            "date": "2030-03-01",
            "start_time": "10:00",
            "end_time": "11:20",
            "reason": "Vuelo desde Cusco",
        },
        page=page,
    )
    assert r.status_code == 303
    row = session.exec(select(Unavailability)).one()
    assert row.starts_at == dt.datetime(2030, 3, 1, 15, 0, tzinfo=dt.UTC)  # 10:00 in Lima
    text = sd.get(page).text
    assert "viernes 1 de marzo de 2030, 10:00" in text and "<td>11:20</td>" in text
    r = post_form(sd, f"{page}/unavailability/{row.id}/delete", {}, page=page)
    assert r.status_code == 303 and _count(session, Unavailability) == 0


def test_blocks_change_only_in_draft(login_as, session: Session):
    edition = create_edition(session)  # draft
    sd = login_as(Role.sd_admin)
    page = f"/editions/{edition.id}/setup"
    day = edition.days[0]
    before = _count(session, DayBlock)
    overlap = post_form(
        sd,
        page + "/blocks",
        {"day_id": day.id, "kind": "other", "start_time": "12:00", "end_time": "13:30"},
        page=page,
    )
    assert overlap.status_code == 422 and "se superponen" in overlap.text
    assert _count(session, DayBlock) == before
    r = post_form(
        sd,
        page + "/blocks",
        {
            "day_id": day.id,
            "kind": "other",
            "label": "Foto oficial",
            "start_time": "18:00",
            "end_time": "18:30",
        },
        page=page,
    )
    assert r.status_code == 303 and _count(session, DayBlock) == before + 1
    assert "Foto oficial" in sd.get(page).text


def test_a_stale_edition_explains_instead_of_changing(login_as, world, session: Session):
    sd = login_as(Role.sd_admin)
    page = f"/editions/{world.edition.id}/setup"
    day = world.edition.days[0]
    r = post_form(
        sd,
        page + "/blocks",
        {"day_id": day.id, "kind": "other", "start_time": "18:00", "end_time": "18:30"},
        page=page,
    )
    assert (
        r.status_code == 409
        and "solo se pueden cambiar mientras la edición es un borrador" in r.text
    )


def test_a_foreign_room_is_404(login_as, world, session: Session):
    other = create_edition(session)
    room = Room(edition_id=other.id, name="Otra")
    session.add(room)
    session.commit()
    sd = login_as(Role.sd_admin)
    page = f"/editions/{world.edition.id}/setup"
    r = post_form(sd, f"{page}/rooms/{room.id}/delete", {}, page=page)
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert _count(session, Room) == 1
