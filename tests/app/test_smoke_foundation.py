from factories import add_participants, auth, create_delegation, create_edition, create_key


def test_sd_creates_and_delegation_reads(client, session):
    _, sd = create_key(session)
    delegation = create_delegation(session, "CUS")
    edition = create_edition(session, status="open_for_submissions")
    add_participants(session, edition, delegations=[delegation])
    _, token = create_key(session, "delegation", delegation=delegation)
    r = client.get(f"/api/editions/{edition.id}", headers=auth(token))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "open_for_submissions"
    assert len(r.json()["days"]) == 2
    assert client.get("/api/keys", headers=auth(sd)).json()["total"] == 2
