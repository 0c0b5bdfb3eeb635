"""A ministry's calendar feed: the address is created on first use, answers the sector's
agenda as iCalendar without a key, follows each new version and stops working once
rotated; only the sector itself and the SD read or rotate it."""

from __future__ import annotations

import datetime as dt

from test_commitments_support import published

from app.agendas.delivery import publish_meetings


def test_the_feed_follows_new_versions_and_dies_when_rotated(client, session, settings):
    p = published(session, settings)
    minsa = p.as_("MINSA")
    first = client.get("/api/sectors/MINSA/feed", headers=minsa)
    assert first.status_code == 200, first.text
    path = first.json()["path"]
    assert path.startswith("/api/feeds/sectors/") and path.endswith(".ics")
    assert client.get("/api/sectors/MINSA/feed", headers=minsa).json()["path"] == path

    calendar = client.get(path)  # no key: the token is the credential
    assert calendar.status_code == 200
    assert calendar.headers["content-type"].startswith("text/calendar")
    body = calendar.text
    assert body.count("BEGIN:VEVENT") == 3  # D1..D3 meet MINSA
    assert "MINEDU" not in body.split("BEGIN:VEVENT", 1)[1].split("SUMMARY", 1)[0]

    # a new version without D3's MINSA meeting: the same address now cancels it
    world = p.world
    dropped = world.requests[("D3", "MINSA")]
    publish_meetings(
        session=session,
        edition=world.edition,
        meetings=[m for m in world.plan if m.request_id != dropped],
        published_by="SD",
        now=dt.datetime(2030, 1, 12, 15, 0, tzinfo=dt.UTC),
        settings=settings,
    )
    session.commit()
    # a calendar holding version 1 asks with its ETag: the new version answers in full
    assert client.get(path, headers={"If-None-Match": calendar.headers["etag"]}).status_code == 200
    updated_response = client.get(path)
    updated = updated_response.text
    assert "STATUS:CANCELLED" in updated and f"-r{dropped}@articula.pe" in updated
    etag = updated_response.headers["etag"]
    assert etag != calendar.headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

    rotated = client.post("/api/sectors/MINSA/feed/rotate", headers=minsa)
    assert rotated.status_code == 200 and rotated.json()["path"] != path
    gone = client.get(path)
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert client.get(rotated.json()["path"]).status_code == 200


def test_only_the_sector_and_the_sd_see_the_address(client, session, settings):
    p = published(session, settings)
    assert client.get("/api/sectors/MINSA/feed", headers=p.sd()).status_code == 200
    for who in ("MINEDU", "D1", "A"):
        assert client.get("/api/sectors/MINSA/feed", headers=p.as_(who)).status_code == 404
        r = client.post("/api/sectors/MINSA/feed/rotate", headers=p.as_(who))
        assert r.status_code == 404
    assert client.get("/api/feeds/sectors/no-existe.ics").status_code == 404
