"""The meeting requests page over HTTP: names instead of codes, filters, inline edit (the
row as a form, the Spanish error beside its field, nothing stored on error), pins in Lima
time and room names, merge into a multisector request, stale states, roles and CSRF."""

from __future__ import annotations

from runs_support import schedulable_edition
from sqlmodel import Session, select
from test_submissions_support import set_status
from web_support import csrf_of

from app.access.models import Role
from app.access.principal import Principal
from app.core import clock
from app.scheduling.models import MeetingRequest, MeetingRequestSector, RequestStatus
from app.scheduling.service import bilateral_grid, generate_requests, read_requests, topic_titles
from app.submissions.models import Topic
from app.submissions.service import accept_topic

HX = {"HX-Request": "true"}


def _fresh(session: Session, request_id: int) -> MeetingRequest:
    session.expire_all()
    return session.get(MeetingRequest, request_id)


def test_the_list_names_parties_and_filters_by_sector(login_as, session):
    setup = schedulable_edition(session)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{setup.edition.id}/requests"
    r = sd.get(base)
    assert r.status_code == 200
    first, sector = setup.delegations[0], setup.sectors[0]
    assert first.name in r.text and sector.name in r.text
    assert "1–6 de 6 solicitudes" in r.text and "20 min" in r.text
    only = sd.get(f"{base}?sector={sector.code}", headers=HX | {"HX-Target": "requests-table"})
    assert "<html" not in only.text and "1–3 de 3 solicitudes" in only.text


def test_inline_edit_saves_or_shows_the_error_beside_the_field(login_as, session):
    setup = schedulable_edition(session)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{setup.edition.id}/requests"
    token = csrf_of(sd, base)
    target = setup.requests[0]
    form = sd.get(f"{base}/{target.id}/edit", headers=HX)
    assert form.status_code == 200 and "<html" not in form.text
    assert f'<tr id="request-{target.id}" class="editing">' in form.text
    assert "Fijar en (hora de Lima)" in form.text and "Sala 1" in form.text

    bad = sd.post(
        f"{base}/{target.id}/update",
        data={"csrf_token": token, "weight": "-3", "duration_slots": "1"},
        headers=HX,
    )
    assert bad.status_code == 422
    assert f'id="weight-{target.id}-error"' in bad.text
    assert "Debe ser mayor o igual que 0." in bad.text
    assert _fresh(session, target.id).weight == 5  # nothing stored

    grid = bilateral_grid(session=session, edition=setup.edition)
    last = grid[20]  # the last slot of the afternoon block: two slots do not fit
    too_long = sd.post(
        f"{base}/{target.id}/update",
        data={
            "csrf_token": token,
            "weight": "9",
            "duration_slots": "2",
            "pin_at": f"{last.date:%Y-%m-%d}T{last.start:%H:%M}",
        },
        headers=HX,
    )
    assert too_long.status_code == 422 and "no cabe en el bloque de bilaterales" in too_long.text
    assert f'id="pin-{target.id}-error"' in too_long.text
    assert _fresh(session, target.id).weight == 5

    slot = grid[1]
    room = setup.rooms[1]
    ok = sd.post(
        f"{base}/{target.id}/update",
        data={
            "csrf_token": token,
            "weight": "9",
            "duration_slots": "1",
            "mandatory": "1",
            "pin_at": f"{slot.date:%Y-%m-%d}T{slot.start:%H:%M}",
            "pin_room": str(room.id),
        },
        headers=HX,
    )
    assert ok.status_code == 200 and f'<tr id="request-{target.id}">' in ok.text
    assert f"{slot.start:%H:%M}" in ok.text and room.name in ok.text and "Sí" in ok.text
    saved = _fresh(session, target.id)
    assert (saved.weight, saved.mandatory, saved.pin_room_id) == (9, True, room.id)
    assert saved.pin_start_time == slot.start

    plain = sd.post(
        f"{base}/{target.id}/update",
        data={"csrf_token": token, "weight": "4", "duration_slots": "1"},
    )
    assert plain.status_code == 303 and _fresh(session, target.id).pin_date is None


def test_merge_two_rows_into_a_multisector_request(login_as, session):
    setup = schedulable_edition(session)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{setup.edition.id}/requests"
    token = csrf_of(sd, base)
    a, b, other = setup.requests[0], setup.requests[1], setup.requests[2]
    one = sd.post(f"{base}/merge", data={"csrf_token": token, "request_ids": [a.id]})
    assert one.status_code == 303
    assert "Seleccione al menos dos solicitudes" in sd.get(base).text
    mixed = sd.post(f"{base}/merge", data={"csrf_token": token, "request_ids": [a.id, other.id]})
    assert mixed.status_code == 303
    assert "Solo se pueden fusionar solicitudes de reunión de la misma delegación." in (
        sd.get(base).text
    )
    assert _fresh(session, a.id).status == RequestStatus.active
    r = sd.post(f"{base}/merge", data={"csrf_token": token, "request_ids": [a.id, b.id]})
    assert r.status_code == 303
    merged = _fresh(session, a.id).merged_into_id
    assert merged is not None
    sectors = session.exec(
        select(MeetingRequestSector.sector_id).where(MeetingRequestSector.request_id == merged)
    ).all()
    assert len(sectors) == 2
    page = sd.get(base).text
    assert f"fusionadas en la reunión multisectorial {merged}" in page and "multisectorial" in page


def test_stale_edition_foreign_request_roles_and_csrf(login_as, session):
    setup = schedulable_edition(session, status="published")
    sd = login_as(Role.sd_admin)
    base = f"/editions/{setup.edition.id}/requests"
    page = sd.get(base)
    assert page.status_code == 200 and "solo pueden consultarse" in page.text
    assert f"{base}/{setup.requests[0].id}/edit" not in page.text
    token = csrf_of(sd, base)
    target = setup.requests[0]
    stale = sd.post(
        f"{base}/{target.id}/update",
        data={"csrf_token": token, "weight": "7", "duration_slots": "1"},
    )
    assert stale.status_code == 409 and "<html" in stale.text
    assert "revisión o en programación" in stale.text and _fresh(session, target.id).weight == 5
    missing = sd.get(f"{base}/999999/edit")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]

    no_token = sd.post(f"{base}/{target.id}/update", data={"weight": "7"})
    assert no_token.status_code == 403 and _fresh(session, target.id).weight == 5
    for role in (Role.delegation, Role.sector, Role.rapporteur):
        other = login_as(role, None if role == Role.rapporteur else _world(session, setup))
        assert other.get(base).status_code == 404
        assert other.get(f"{base}/{target.id}/edit").status_code == 404


def _world(session: Session, setup) -> object:
    """What login_as needs to bind a delegation or sector account: the setup's first ones."""

    class World:
        delegations = {"CUS": setup.delegations[0]}
        sectors = {"MINSA": setup.sectors[0]}

    return World()


def test_rows_show_the_titles_of_their_topics(login_as, world, session):
    set_status(session, world.edition, "in_review")
    now = clock.now()
    principal = Principal(key_id=0, role=Role.sd_admin, name="SD")
    for topic in session.exec(select(Topic)).all():
        accept_topic(
            session=session, edition=world.edition, topic_id=topic.id, principal=principal, now=now
        )
    created = generate_requests(session=session, edition=world.edition, replace=False, now=now)
    session.commit()
    sd = login_as(Role.sd_admin)
    page = sd.get(f"/editions/{world.edition.id}/requests?sector=MINSA").text
    assert "Hospital de Quillabamba" in page and "Plazas de médicos especialistas" in page
    assert "Colegio emblemático" not in page  # a MINEDU topic

    ids = [r.id for r in created]
    read = read_requests(session=session, edition=world.edition, request_ids=[*ids, 999999])
    assert [r.id for r in read] == sorted(ids)
    titles = topic_titles(session=session, topic_ids=read[0].topic_ids)
    assert set(titles) == set(read[0].topic_ids) and all(titles.values())
