"""The SD's editions list and dashboard over HTTP: lifecycle buttons, countdowns, the
per-delegation table (filter, sort, pagination), stale steps, and every other role 404."""

from __future__ import annotations

import pytest
from factories import add_participants, create_delegation
from sqlmodel import Session
from test_submissions_support import set_status
from web_support import csrf_of

from app.access.models import Role
from app.core.pagination import Pagination
from app.editions.models import Edition
from app.submissions.overview import submission_overview, submission_totals


def test_the_list_links_every_edition(login_as, world):
    sd = login_as(Role.sd_admin)
    r = sd.get("/editions")
    assert r.status_code == 200
    assert f'href="/editions/{world.edition.id}"' in r.text
    assert world.edition.name in r.text and "recepción de temas" in r.text


def test_the_dashboard_shows_state_steps_countdowns_and_submissions(login_as, world):
    sd = login_as(Role.sd_admin)
    r = sd.get(f"/editions/{world.edition.id}")
    assert r.status_code == 200
    assert 'Estado: <span class="badge">recepción de temas</span>' in r.text
    assert 'name="to" value="in_review"' in r.text  # the one next step
    assert 'value="scheduling"' not in r.text
    # Lima clock and Spanish dates: the window closes on 2030-02-19 18:00 Lima
    assert "martes 19 de febrero de 2030, 18:00" in r.text
    assert "viernes 1 de marzo de 2030, 09:00" in r.text  # first block of day 1
    assert "1 de 2" in r.text  # CUS sent its list, JUN did not
    cus = r.text.split("<td>CUS</td>")[1].split("</tr>")[0]
    assert "enviada" in cus and '<td class="num">5</td>' in cus


def test_the_delegations_table_filters_sorts_and_pages(login_as, world, session: Session):
    more = [create_delegation(session, f"M{n:02d}") for n in range(30)]
    add_participants(session, world.edition, more)
    sd = login_as(Role.sd_admin)
    url = f"/editions/{world.edition.id}"
    first = sd.get(url)
    assert "1–25 de 32 delegaciones" in first.text and "Siguiente" in first.text
    second = sd.get(url + "?offset=25")
    assert "26–32 de 32 delegaciones" in second.text and "Anterior" in second.text
    only_cus = sd.get(url + "?q=cus")
    assert "<td>CUS</td>" in only_cus.text and "<td>JUN</td>" not in only_cus.text
    without = sd.get(url + "?submitted=no")
    assert "<td>CUS</td>" not in without.text and "31 delegaciones" in without.text
    by_topics = sd.get(
        url + "?sort=-topics", headers={"HX-Request": "true", "HX-Target": "delegations"}
    )
    assert by_topics.text.index("<td>CUS</td>") < by_topics.text.index("<td>JUN</td>")
    assert "<html" not in by_topics.text  # the table only, for the HTMX swap
    assert 'aria-sort="descending"' in by_topics.text


def test_overview_service(session: Session, world):
    page = submission_overview(
        session=session, edition=world.edition, page=Pagination(limit=10, offset=0)
    )
    rows = {row.code: row for row in page.items}
    assert rows["CUS"].version == 1 and rows["CUS"].topic_count == 5
    assert rows["JUN"].version is None and rows["JUN"].topic_count == 0
    assert submission_totals(session=session, edition=world.edition) == (2, 1)
    submitted = submission_overview(
        session=session, edition=world.edition, page=Pagination(10, 0), submitted=True
    )
    assert [r.code for r in submitted.items] == ["CUS"]


def test_a_status_step_moves_the_edition(login_as, world, session: Session):
    sd = login_as(Role.sd_admin)
    url = f"/editions/{world.edition.id}"
    r = sd.post(url + "/status", data={"csrf_token": csrf_of(sd, url), "to": "in_review"})
    assert r.status_code == 303 and r.headers["location"] == url
    session.expire_all()
    assert session.get(Edition, world.edition.id).status == "in_review"
    assert "La edición pasó a «revisión»." in sd.get(url).text


def test_a_stale_step_explains_and_links_back(login_as, world, session: Session):
    sd = login_as(Role.sd_admin)
    url = f"/editions/{world.edition.id}"
    token = csrf_of(sd, url)
    r = sd.post(
        url + "/status",
        data={"csrf_token": token, "to": "published"},
        headers={"Referer": f"http://testserver{url}"},
    )
    assert r.status_code == 409 and "text/html" in r.headers["content-type"]
    assert "no puede pasar de «recepción de temas» a «publicada»" in r.text
    assert f'href="{url}"' in r.text
    session.expire_all()
    assert session.get(Edition, world.edition.id).status == "open_for_submissions"


def test_a_missing_edition_is_an_html_404(login_as, world):
    sd = login_as(Role.sd_admin)
    for path in ("/editions/999999", "/editions/abc"):
        r = sd.get(path)
        assert r.status_code == 404 and "text/html" in r.headers["content-type"], path


@pytest.mark.parametrize("role", [Role.delegation, Role.sector, Role.rapporteur])
def test_other_roles_get_404_on_every_sd_page(login_as, world, role, session: Session):
    client = login_as(role, world)
    edition = world.edition.id
    token = csrf_of(client, "/password")
    for path in (
        "/editions",
        f"/editions/{edition}",
        f"/editions/{edition}/setup",
        f"/editions/{edition}/review",
    ):
        r = client.get(path)
        assert r.status_code == 404 and "text/html" in r.headers["content-type"], path
        assert "Página no encontrada" in r.text
    for path, data in (
        (f"/editions/{edition}/status", {"to": "in_review"}),
        (f"/editions/{edition}/setup/rooms", {"name": "Sala intrusa"}),
        (f"/editions/{edition}/setup/participants", {"delegation_codes": "CUS"}),
        (f"/editions/{edition}/review/accept", {"topic_ids": "1"}),
    ):
        r = client.post(path, data={"csrf_token": token, **data})
        assert r.status_code == 404 and "text/html" in r.headers["content-type"], path
    session.expire_all()
    assert session.get(Edition, edition).status == "open_for_submissions"


def test_a_status_form_without_csrf_is_403(login_as, world, session: Session):
    sd = login_as(Role.sd_admin)
    r = sd.post(f"/editions/{world.edition.id}/status", data={"to": "in_review"})
    assert r.status_code == 403
    session.expire_all()
    assert session.get(Edition, world.edition.id).status == "open_for_submissions"


def test_in_review_the_step_forward_comes_first(login_as, world, session: Session):
    set_status(session, world.edition, "in_review")
    text = login_as(Role.sd_admin).get(f"/editions/{world.edition.id}").text
    forward = text.index("Pasar a «programación»")
    assert forward < text.index("Volver a «recepción de temas»")
