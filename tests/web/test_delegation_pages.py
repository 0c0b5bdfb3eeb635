"""A delegation's pages over HTTP: calendar and countdown, the topic list form (rows added,
removed and moved, errors next to their row, the empty list confirmed), versions compared,
the SD's outcome, the agenda and the requested meetings left out after publication; every
page of another delegation (or for another role) is a 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from test_publication_support import make_world as published_world
from test_publication_support import solve_run
from test_submissions_support import INSIDE, set_status
from web_support import csrf_of, login, make_user

from app.access.models import Role
from app.access.principal import Principal
from app.agendas.delivery import publish_meetings
from app.core import clock
from app.scheduling.models import SolveRun
from app.submissions.models import Topic, TopicListVersion
from app.submissions.service import reject_topic


@pytest.fixture
def inside() -> Iterator[None]:
    clock.freeze(INSIDE)
    yield
    clock.freeze(None)


def _base(world: Any, code: str = "CUS") -> str:
    return f"/delegations/{code}/editions/{world.edition.id}"


def _row(i: int, title: str, ranks: dict[str, int], **fields: str) -> dict[str, str]:
    data = {f"t{i}_title": title, f"t{i}_kind": fields.pop("kind", "other")}
    data |= {f"t{i}_{k}": v for k, v in fields.items()}
    data |= {f"t{i}_rank_{code}": str(rank) for code, rank in ranks.items()}
    return data


def _post(client: TestClient, world: Any, rows: list[dict[str, str]], **extra: str) -> Any:
    base = _base(world)
    data: dict[str, str] = {"csrf_token": csrf_of(client, base + "/topics"), "rows": str(len(rows))}
    for row in rows:
        data |= row
    return client.post(base + "/topics", data=data | extra)


def _versions(session: Session, world: Any) -> list[int]:
    session.expire_all()
    return list(
        session.exec(
            select(TopicListVersion.number)
            .where(TopicListVersion.delegation_id == world.delegations["CUS"].id)
            .order_by(col(TopicListVersion.number))
        ).all()
    )


def test_login_lands_on_the_delegations_editions_with_the_countdown(login_as, world, inside):
    cusco = login_as(Role.delegation, world)
    assert cusco.get("/inicio").headers["location"] == "/delegations/CUS"
    home = cusco.get("/delegations/CUS")
    assert home.status_code == 200 and world.edition.name in home.text
    page = cusco.get(_base(world))
    assert page.status_code == 200
    assert "cierra en 9 días" in page.text  # INSIDE is 10 Feb 12:00, the close 19 Feb 18:00
    assert "Hospital de Quillabamba" in page.text and "pendiente" in page.text
    assert 'href="/inicio" aria-current="page">Mis ediciones' in page.text


def test_the_form_is_filled_with_the_current_list_and_saves_a_new_version(
    login_as, world, session, inside
):
    cusco = login_as(Role.delegation, world)
    form = cusco.get(_base(world) + "/topics")
    assert form.status_code == 200
    assert 'name="rows" value="5"' in form.text and 'value="2345678"' in form.text
    r = _post(
        cusco,
        world,
        [
            _row(
                0,
                "Hospital de Quillabamba",
                {"MINSA": 1},
                kind="investment_project",
                cui="2345678",
                amount="150000000.00",
            ),
            _row(1, "Puente Chuquicahuana", {"MTC": 1, "MINSA": 2}),
        ],
        action="save",
    )
    assert r.status_code == 303 and r.headers["location"] == _base(world), r.text
    assert _versions(session, world) == [1, 2]
    assert "Lista de temas guardada como versión 2." in cusco.get(_base(world)).text

    compared = cusco.get(_base(world) + "/versions?a=1&b=2")
    assert "<strong>1</strong> agregados" in compared.text
    assert "<strong>4</strong> retirados" in compared.text
    assert "<strong>1</strong> sin cambios" in compared.text
    api = cusco.get(f"/api/editions/{world.edition.id}/delegations/CUS/topic-lists/compare?a=1&b=2")
    assert api.status_code == 401  # the API wants a key, not the session cookie


def test_rows_are_added_removed_and_moved_without_saving(login_as, world, session, inside):
    cusco = login_as(Role.delegation, world)
    rows = [_row(0, "Primero", {"MINSA": 1}), _row(1, "Segundo", {"MINSA": 2, "MTC": 1})]
    added = _post(cusco, world, rows, action="add")
    assert added.status_code == 200 and 'name="rows" value="3"' in added.text
    moved = _post(cusco, world, rows, action="up:1")
    assert moved.text.index('value="Segundo"') < moved.text.index('value="Primero"')
    # moving up raises the priority: Segundo takes MINSA 1, Primero MINSA 2
    assert 'name="t0_rank_MINSA" value="1"' in moved.text
    assert 'name="t1_rank_MINSA" value="2"' in moved.text
    removed = _post(cusco, world, rows, action="remove:0")
    assert 'name="rows" value="1"' in removed.text and 'value="Primero"' not in removed.text
    assert _versions(session, world) == [1]


def test_errors_come_back_next_to_their_row_and_nothing_is_stored(login_as, world, session, inside):
    cusco = login_as(Role.delegation, world)
    r = _post(
        cusco,
        world,
        [
            _row(0, "Bien", {"MINSA": 1}),
            _row(1, "Proyecto sin CUI válido", {"MINSA": 2}, kind="investment_project", cui="123"),
            _row(2, "Prioridad rara", {"MTC": "x"}),  # type: ignore[dict-item]
        ],
        action="save",
    )
    assert r.status_code == 422
    assert "La prioridad para MTC debe ser un número desde 1." in r.text
    _post_again = _post(
        cusco,
        world,
        [
            _row(0, "Bien", {"MINSA": 1}),
            _row(1, "Proyecto sin CUI válido", {"MINSA": 2}, kind="investment_project", cui="123"),
        ],
        action="save",
    )
    assert _post_again.status_code == 422
    assert 'id="t1-cui-error" class="field-error" aria-live="polite">El código CUI debe tener' in (
        _post_again.text
    )
    assert 'value="Proyecto sin CUI válido"' in _post_again.text  # what was typed stays
    assert _versions(session, world) == [1]


def test_an_empty_list_needs_the_confirmation(login_as, world, session, inside):
    cusco = login_as(Role.delegation, world)
    refused = _post(cusco, world, [], action="save")
    assert refused.status_code == 422 and "guardarla retira todos los temas" in refused.text
    assert 'name="confirm_empty"' in refused.text
    assert _versions(session, world) == [1]
    confirmed = _post(cusco, world, [], action="save", confirm_empty="1")
    assert confirmed.status_code == 303
    assert _versions(session, world) == [1, 2]


def test_a_closed_window_is_said_on_the_form(login_as, world, session):
    clock.freeze(dt.datetime(2030, 3, 1, 12, 0, tzinfo=dt.UTC))
    try:
        cusco = login_as(Role.delegation, world)
        r = _post(cusco, world, [_row(0, "Tarde", {"MINSA": 1})], action="save")
    finally:
        clock.freeze(None)
    assert r.status_code == 409 and "está cerrado" in r.text
    assert _versions(session, world) == [1]


def test_the_sds_outcome_per_topic(login_as, world, session):
    set_status(session, world.edition, "in_review")
    topic = session.exec(
        select(Topic).where(Topic.title == "Plazas de médicos especialistas")
    ).one()
    reject_topic(
        session=session,
        edition=world.edition,
        topic_id=topic.id,
        reason="Corresponde al MEF; coordinar en la mesa técnica.",
        principal=Principal(key_id=0, role=Role.sd_admin, name="SD"),
        now=clock.now(),
    )
    session.commit()
    page = login_as(Role.delegation, world).get(_base(world))
    assert "Motivo: Corresponde al MEF; coordinar en la mesa técnica." in page.text
    assert 'badge-rejected">rechazado' in page.text


def _published(session: Session, settings: Any) -> Any:
    """The publication world with D1's MINEDU meeting left out by the solver."""
    world = published_world(session)
    left_out = world.requests[("D1", "MINEDU")]
    plan = [m for m in world.plan if m.request_id != left_out]
    run_id = solve_run(session, world, plan)
    run = session.get(SolveRun, run_id)
    run.result = run.result | {  # type: ignore[operator]
        "unscheduled": [
            {
                "request_id": left_out,
                "code": "party_capacity",
                "reason": "MINEDU has 2 free slots and 3 requests",
                "detail": "La agenda de MINEDU está llena: tiene 2 turnos libres y 3 reuniones "
                "de igual o mayor prioridad.",
            }
        ]
    }
    session.add(run)
    publish_meetings(
        session=session,
        edition=world.edition,
        meetings=plan,
        published_by="SD",
        now=dt.datetime(2030, 1, 10, 15, 0, tzinfo=dt.UTC),
        settings=settings,
        run_id=run_id,
    )
    session.commit()
    return world


def test_after_publication_the_agenda_downloads_and_the_meetings_left_out(app, session, settings):
    world = _published(session, settings)
    d1, d2 = world.delegations[0], world.delegations[1]
    user = make_user(session, Role.delegation, delegation_id=d1.id)
    client = login(TestClient(app, follow_redirects=False), user.email)
    base = f"/delegations/D1/editions/{world.edition.id}"
    page = client.get(base)
    assert page.status_code == 200
    assert "Su agenda (versión 1)" in page.text and "Sala 1" in page.text
    assert "MINSA · Ministerio de Salud" in page.text
    assert "La agenda de MINEDU está llena: tiene 2 turnos libres" in page.text
    pdf = client.get(base + "/agenda.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ics = client.get(base + "/agenda.ics")
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.content
    xlsx = client.get(base + "/agenda.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")

    api = TestClient(app).get(
        f"/api/editions/{world.edition.id}/agendas/delegations/D1/unscheduled",
        headers={"Authorization": f"Bearer {world.tokens['D1']}"},
    )
    assert api.status_code == 200 and api.json()[0]["code"] == "party_capacity"
    assert api.json()[0]["sectors"] == ["MINEDU"]
    foreign = TestClient(app).get(
        f"/api/editions/{world.edition.id}/agendas/delegations/D1/unscheduled",
        headers={"Authorization": f"Bearer {world.tokens['D2']}"},
    )
    assert foreign.status_code == 404
    assert client.get(f"/delegations/D2/editions/{world.edition.id}").status_code == 404
    assert (
        client.get(f"/delegations/{d2.code}/editions/{world.edition.id}/agenda.pdf").status_code
        == 404
    )


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/editions/{e}",
        "/editions/{e}/topics",
        "/editions/{e}/versions",
        "/editions/{e}/agenda.pdf",
    ],
)
def test_another_delegations_pages_and_other_roles_get_404(login_as, world, path):
    rest = path.format(e=world.edition.id)
    cusco = login_as(Role.delegation, world)
    assert cusco.get(f"/delegations/CUS{rest}").status_code in (200, 404)  # the agenda: none yet
    assert cusco.get(f"/delegations/JUN{rest}").status_code == 404
    for role in (Role.sd_admin, Role.sector, Role.rapporteur):
        assert login_as(role, world).get(f"/delegations/CUS{rest}").status_code == 404
    post = cusco.post(
        f"/delegations/JUN/editions/{world.edition.id}/topics",
        data={"csrf_token": csrf_of(cusco, "/delegations/CUS"), "rows": "0", "action": "save"},
    )
    assert post.status_code == 404
