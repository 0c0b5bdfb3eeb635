"""The review queue over HTTP: filters and counters, accept / reject / merge / re-rank one
by one (HTMX fragments and plain forms), bulk accept, request generation, stale states."""

from __future__ import annotations

from sqlmodel import Session, col, select
from test_submissions_support import sample_list, set_status
from web_support import csrf_of, submit

from app.access.models import Role
from app.scheduling.models import MeetingRequest
from app.submissions.models import Topic, TopicSector

HX = {"HX-Request": "true"}


def _topics(session: Session) -> dict[str, Topic]:
    """Every topic by title (fresh from the database)."""
    session.expire_all()
    return {t.title: t for t in session.exec(select(Topic)).all()}


def _in_review(session: Session, world) -> None:
    submit(session, world, "JUN", sample_list("Junín: "))
    set_status(session, world.edition, "in_review")


def test_the_queue_lists_topics_with_rank_kind_cui_and_amount(login_as, world, session):
    _in_review(session, world)
    sd = login_as(Role.sd_admin)
    r = sd.get(f"/editions/{world.edition.id}/review")
    assert r.status_code == 200
    assert "Hospital de Quillabamba" in r.text and "Proyecto de inversión" in r.text
    assert "2345678" in r.text and "S/\xa0150,000,000.00" in r.text  # a no-break space
    assert '<span class="badge">MINSA 1</span>' in r.text
    assert "<strong>10</strong> pendientes" in r.text
    only = sd.get(f"/editions/{world.edition.id}/review?sector=MTC&delegation=CUS")
    assert "Corredor vial y postas" in only.text and "Hospital de Quillabamba" not in only.text
    assert "<strong>1</strong> pendiente" in only.text


def test_accept_reject_and_merge_in_place(login_as, world, session):
    _in_review(session, world)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{world.edition.id}/review"
    token = csrf_of(sd, base)
    topics = _topics(session)
    hospital = topics["Hospital de Quillabamba"].id
    r = sd.post(f"{base}/topics/{hospital}/accept", data={"csrf_token": token}, headers=HX)
    assert r.status_code == 200 and f'<tr id="topic-{hospital}" hx-swap-oob="true">' in r.text
    assert "<html" not in r.text and 'hx-swap-oob="true"' in r.text  # counters in place
    assert "<strong>1</strong> aceptado" in r.text and "<strong>9</strong> pendientes" in r.text
    assert f"Tema {hospital} aceptado." in r.text

    plazas = topics["Plazas de médicos especialistas"].id
    empty = sd.post(
        f"{base}/topics/{plazas}/reject", data={"csrf_token": token, "reason": " "}, headers=HX
    )
    assert empty.status_code == 422 and "Indique el motivo del rechazo." in empty.text
    assert _topics(session)["Plazas de médicos especialistas"].status == "pending"
    r = sd.post(
        f"{base}/topics/{plazas}/reject",
        data={"csrf_token": token, "reason": "Sin sustento"},
        headers=HX,
    )
    assert r.status_code == 200 and "Motivo: Sin sustento" in r.text

    colegio = topics["Colegio emblemático"].id
    saneamiento = topics["Saneamiento de colegios"].id
    missing = sd.post(
        f"{base}/topics/{colegio}/merge",
        data={"csrf_token": token, "into_topic_id": "999999"},
        headers=HX,
    )
    assert missing.status_code == 422 and "No existe el tema 999999" in missing.text
    r = sd.post(
        f"{base}/topics/{colegio}/merge",
        data={"csrf_token": token, "into_topic_id": str(saneamiento)},
        headers=HX,
    )
    assert r.status_code == 200 and f"fusionado en el tema {saneamiento}" in r.text
    after = _topics(session)
    assert after["Colegio emblemático"].status == "merged"
    assert after["Colegio emblemático"].merged_into_id == saneamiento


def test_a_plain_form_comes_back_to_the_queue(login_as, world, session):
    _in_review(session, world)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{world.edition.id}/review"
    topic = _topics(session)["Hospital de Quillabamba"].id
    r = sd.post(
        f"{base}/topics/{topic}/accept?sector=MINSA", data={"csrf_token": csrf_of(sd, base)}
    )
    assert r.status_code == 303 and r.headers["location"].endswith(
        "review?sector=MINSA&delegation=&status="
    )
    assert f"Tema {topic} aceptado." in sd.get(r.headers["location"]).text


def test_bulk_accept_is_all_or_nothing(login_as, world, session):
    _in_review(session, world)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{world.edition.id}/review"
    token = csrf_of(sd, base)
    ids = [t.id for t in _topics(session).values()][:3]
    r = sd.post(
        f"{base}/accept", data={"csrf_token": token, "topic_ids": [*ids, 999999]}, headers=HX
    )
    assert r.status_code == 404
    assert all(t.status == "pending" for t in _topics(session).values())
    r = sd.post(f"{base}/accept", data={"csrf_token": token, "topic_ids": ids}, headers=HX)
    assert r.status_code == 200 and "3 tema(s) aceptado(s)." in r.text
    assert "<strong>3</strong> aceptados" in r.text
    assert sum(t.status == "accepted" for t in _topics(session).values()) == 3
    none = sd.post(f"{base}/accept", data={"csrf_token": token}, headers=HX)
    assert "Seleccione al menos un tema." in none.text


def test_rerank_within_a_sector(login_as, world, session):
    _in_review(session, world)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{world.edition.id}/review"
    topics = _topics(session)
    plazas = topics["Plazas de médicos especialistas"].id  # MINSA 2 of CUS
    r = sd.post(
        f"{base}/topics/{plazas}/move?sector=MINSA&delegation=CUS",
        data={"csrf_token": csrf_of(sd, base), "direction": "up"},
        headers=HX,
    )
    assert r.status_code == 200 and "Nuevo orden guardado." in r.text
    session.expire_all()
    ranks = dict(
        session.exec(
            select(TopicSector.topic_id, TopicSector.rank).where(
                col(TopicSector.topic_id).in_([plazas, topics["Hospital de Quillabamba"].id])
            )
        ).all()
    )
    assert ranks == {plazas: 1, topics["Hospital de Quillabamba"].id: 2}


def test_generate_requests_from_the_accepted_topics(login_as, world, session):
    _in_review(session, world)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{world.edition.id}/review"
    token = csrf_of(sd, base)
    ids = [t.id for t in _topics(session).values()]
    sd.post(f"{base}/accept", data={"csrf_token": token, "topic_ids": ids})
    r = sd.post(f"/editions/{world.edition.id}/requests/generate", data={"csrf_token": token})
    assert r.status_code == 303
    count = len(session.exec(select(MeetingRequest)).all())
    assert count > 0
    assert f"Se generaron {count} solicitudes de reunión." in sd.get(base).text


def test_a_queue_no_longer_in_review_explains_and_links_back(login_as, world, session):
    sd = login_as(Role.sd_admin)  # the edition is still open for submissions
    base = f"/editions/{world.edition.id}/review"
    page = sd.get(base)
    assert "La edición no está en revisión" in page.text and "Aceptar</button>" not in page.text
    topic = _topics(session)["Hospital de Quillabamba"].id
    r = sd.post(
        f"{base}/topics/{topic}/accept",
        data={"csrf_token": csrf_of(sd, base)},
        headers=HX | {"Referer": f"http://testserver{base}"},
    )
    assert r.status_code == 409 and "solo es posible cuando la edición está en revisión" in r.text
    assert r.headers["HX-Retarget"] == "#main" and f'href="{base}"' in r.text
    assert _topics(session)["Hospital de Quillabamba"].status == "pending"


def test_review_actions_are_404_for_other_roles_and_403_without_csrf(login_as, world, session):
    _in_review(session, world)
    base = f"/editions/{world.edition.id}/review"
    topic = _topics(session)["Hospital de Quillabamba"].id
    for role in (Role.delegation, Role.sector, Role.rapporteur):
        client = login_as(role, world)
        token = csrf_of(client, "/password")
        r = client.post(f"{base}/topics/{topic}/accept", data={"csrf_token": token})
        assert r.status_code == 404, role
        r = client.post(
            f"/editions/{world.edition.id}/requests/generate", data={"csrf_token": token}
        )
        assert r.status_code == 404, role
    sd = login_as(Role.sd_admin)
    r = sd.post(f"{base}/topics/{topic}/accept", headers=HX)
    assert r.status_code == 403
    r = sd.post(f"{base}/accept", data={"topic_ids": [topic]})
    assert r.status_code == 403
    assert _topics(session)["Hospital de Quillabamba"].status == "pending"


def test_regenerating_after_edits_needs_the_replace_box(login_as, world, session):
    _in_review(session, world)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{world.edition.id}/review"
    token = csrf_of(sd, base)
    sd.post(
        f"{base}/accept",
        data={"csrf_token": token, "topic_ids": [t.id for t in _topics(session).values()]},
    )
    url = f"/editions/{world.edition.id}/requests/generate"
    assert sd.post(url, data={"csrf_token": token}).status_code == 303
    request = session.exec(select(MeetingRequest)).first()
    request.edited = True
    session.add(request)
    session.commit()
    r = sd.post(url, data={"csrf_token": token}, headers={"Referer": f"http://testserver{base}"})
    assert (
        r.status_code == 409 and "ya modificó solicitudes" in r.text and f'href="{base}"' in r.text
    )
    assert sd.post(url, data={"csrf_token": token, "replace": "1"}).status_code == 303
    session.expire_all()
    assert not any(r.edited for r in session.exec(select(MeetingRequest)).all())
