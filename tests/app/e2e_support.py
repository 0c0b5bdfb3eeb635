"""Helpers of the end-to-end test: SSE reading, the demo keys, e-mail parts."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import icalendar
from fastapi.testclient import TestClient


def parse_demo_keys(keys: list[tuple[str, str]]) -> dict[str, str]:
    """`load_demo`'s printed keys -> {"SD": token, "RAPPORTEUR": token, <code>: token}."""
    out: dict[str, str] = {}
    for label, token in keys:
        role, name = label.split(maxsplit=1)
        if role == "sd_admin":
            out["SD"] = token
        elif role == "rapporteur":
            out["RAPPORTEUR"] = token
        else:
            out[name.strip()] = token
    return out


def read_sse(client: TestClient, url: str, headers: dict[str, str]) -> list[tuple[str, Any]]:
    """Every (event, data) of a Server-Sent Events stream, until the server closes it."""
    events: list[tuple[str, Any]] = []
    with client.stream("GET", url, headers=headers) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        name = "message"
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[len("data: ") :])))
    return events


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def body_text(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def vevents(ics: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))
