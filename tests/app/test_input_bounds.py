"""Inputs that used to answer 500: ids beyond the integer column, amounts with a large
exponent, `null` for a field without an empty value. Each is a 4xx problem and stores nothing."""

from __future__ import annotations

import pytest
from factories import auth, create_delegation, create_key, create_sector
from sqlmodel import func, select
from test_commitments_support import commitment_body, published

from app.commitments.models import Commitment
from app.editions.models import Delegation, Sector

PROBLEM = "application/problem+json"
TOO_BIG = (2_147_483_648, 9_223_372_036_854_775_808, 10**30)


def _is_4xx_problem(response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("big", TOO_BIG)
def test_ids_beyond_the_integer_column_are_4xx_in_path_query_and_body(client, session, big):
    sd = auth(create_key(session)[1])
    for path in (
        f"/api/editions/{big}",
        f"/api/delegations/{big}",
        f"/api/sectors/{big}",
        f"/api/commitments/{big}",
        f"/api/editions/1/runs/{big}",
        f"/api/editions/{big}/topics/1",
    ):
        _is_4xx_problem(client.get(path, headers=sd), 404, 422)
    _is_4xx_problem(client.get("/api/commitments", params={"sector_id": big}, headers=sd), 422)
    _is_4xx_problem(client.post(f"/api/keys/{big}/revoke", headers=sd), 422)
    body = {"role": "delegation", "name": "Clave", "delegation_id": big}
    _is_4xx_problem(client.post("/api/keys", json=body, headers=sd), 422)


def test_ids_within_the_range_but_missing_stay_404(client, session):
    sd = auth(create_key(session)[1])
    _is_4xx_problem(client.get("/api/editions/2147483647", headers=sd), 404)
    _is_4xx_problem(client.get("/api/editions/0", headers=sd), 422)


def test_the_openapi_document_bounds_every_integer_id(client):
    schema = client.get("/openapi.json").json()
    edition = schema["paths"]["/api/editions/{edition_id}"]["get"]["parameters"][0]["schema"]
    assert edition["minimum"] == 1 and edition["maximum"] == 2_147_483_647


@pytest.mark.parametrize("amount", ["1e26", "1E+400", "99999999999999999.5"])
def test_amounts_with_a_large_exponent_are_422_on_every_commitment_write(
    client, session, settings, amount
):
    p = published(session, settings)
    body = commitment_body(p, amount=amount)
    _is_4xx_problem(client.post("/api/commitments", json=body, headers=p.sd()), 422)
    meeting = f"/api/editions/{p.edition_id}/meetings/{p.request('D1')}/commitments"
    _is_4xx_problem(client.post(meeting, json=body, headers=p.sd()), 422)
    created = client.post("/api/commitments", json=commitment_body(p), headers=p.sd())
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    patch = client.patch(f"/api/commitments/{cid}", json={"amount": amount}, headers=p.sd())
    _is_4xx_problem(patch, 422)
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Commitment)).one() == 1
    assert str(session.get(Commitment, cid).amount) == "1500000.00"


def test_null_for_a_field_without_an_empty_value_is_422_and_keeps_the_row(client, session):
    sd = auth(create_key(session)[1])
    delegation = create_delegation(session, "CUS", contact_emails=["gr@cusco.gob.pe"])
    sector = create_sector(session, "MINSA", contact_emails=["ministro@minsa.gob.pe"])
    session.commit()
    for path in (f"/api/delegations/{delegation.id}", f"/api/sectors/{sector.id}"):
        for field in ("contact_emails", "name"):
            _is_4xx_problem(client.patch(path, json={field: None}, headers=sd), 422)
        cleared = client.patch(path, json={"contact_emails": []}, headers=sd)
        assert cleared.status_code == 200 and cleared.json()["contact_emails"] == []
    session.expire_all()
    assert session.get(Delegation, delegation.id).name
    assert session.get(Sector, sector.id).name
