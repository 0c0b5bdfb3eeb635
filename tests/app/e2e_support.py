"""Helpers of the end-to-end test: an SMTP sink, SSE reading, the demo keys, e-mail parts."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import icalendar
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient


class SmtpSink:
    """aiosmtpd handler keeping every message it accepts (parsed)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.rcpts: list[list[str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(parsed)
            self.rcpts.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def take(self) -> list[EmailMessage]:
        """The messages received since the last call."""
        with self._lock:
            out, self.messages = self.messages, []
            self.rcpts = []
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server() -> Iterator[tuple[SmtpSink, int]]:
    """A real SMTP server on 127.0.0.1 (free port) for the duration of the block."""
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


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
