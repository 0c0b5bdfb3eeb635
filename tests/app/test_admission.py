"""The request queue (`Admission`): a few requests run at once, the others wait their turn in
order, a wait past the timeout is a 503, event streams and slow bodies hold no turn."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from app.core.config import Settings
from app.core.middleware import Admission
from app.main import create_app

Message = dict


class Blocking:
    """An ASGI app whose requests start, record their path and body, then wait for their
    path to be released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.bodies: dict[str, bytes] = {}
        self.release: dict[str, asyncio.Event] = {}

    def gate(self, path: str) -> asyncio.Event:
        return self.release.setdefault(path, asyncio.Event())

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path = scope["path"]
        self.started.append(path)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies[path] = body
        await self.gate(path).wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def request(
    app: Callable,
    path: str,
    *,
    method: str = "GET",
    chunks: list[bytes] | None = None,
    before_last_chunk: Awaitable[None] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Call the ASGI app; a body is sent in `chunks`, the last one after `before_last_chunk`."""
    pending = list(chunks or [b""])
    length = sum(map(len, pending))
    headers = [(b"content-length", str(length).encode())] if length else []
    sent: list[Message] = []

    async def receive() -> Message:
        if not pending:
            await asyncio.Event().wait()  # the client stays connected
        if len(pending) == 1 and before_last_chunk is not None:
            await before_last_chunk
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    await app(scope, receive, send)
    start = sent[0]
    head = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], head, b"".join(m.get("body", b"") for m in sent[1:])


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_requests_past_the_limit_wait_and_run_in_arrival_order() -> None:
    async def scenario() -> None:
        inner = Blocking()
        app = Admission(inner, limit=2, timeout_s=10)
        tasks = []
        for name in ("/a", "/b", "/c", "/d", "/e"):
            tasks.append(asyncio.create_task(request(app, name)))
            await settle()
        assert inner.started == ["/a", "/b"]
        inner.gate("/b").set()
        await settle()
        assert inner.started == ["/a", "/b", "/c"]
        inner.gate("/a").set()
        await settle()
        assert inner.started == ["/a", "/b", "/c", "/d"]
        for name in ("/c", "/d", "/e"):
            inner.gate(name).set()
        results = await asyncio.gather(*tasks)
        assert inner.started == ["/a", "/b", "/c", "/d", "/e"]
        assert [status for status, _h, _b in results] == [200] * 5

    asyncio.run(scenario())


def test_a_wait_past_the_timeout_is_a_503_that_says_to_retry() -> None:
    async def scenario() -> None:
        inner = Blocking()
        app = Admission(inner, limit=1, timeout_s=0.05)
        first = asyncio.create_task(request(app, "/lento"))
        await settle()
        status, headers, body = await request(app, "/api/editions")
        assert status == 503
        assert headers["content-type"] == "application/problem+json"
        assert headers["retry-after"] == "5"
        problem = json.loads(body)
        assert problem["retryable"] is True
        assert "vuelva a intentarlo" in problem["detail"]
        assert inner.started == ["/lento"]  # the refused request never ran
        # the turn it waited for is not lost: the next request runs once the first ends
        inner.gate("/lento").set()
        await first
        inner.gate("/siguiente").set()
        assert (await request(app, "/siguiente"))[0] == 200

    asyncio.run(scenario())


def test_event_streams_do_not_wait_for_a_turn() -> None:
    async def scenario() -> None:
        inner = Blocking()
        app = Admission(inner, limit=1, timeout_s=10)
        busy = asyncio.create_task(request(app, "/lento"))
        await settle()
        stream = asyncio.create_task(request(app, "/api/editions/1/runs/2/events"))
        other = asyncio.create_task(request(app, "/api/editions"))
        await settle()
        assert inner.started == ["/lento", "/api/editions/1/runs/2/events"]
        for gate in ("/lento", "/api/editions/1/runs/2/events", "/api/editions"):
            inner.gate(gate).set()
        await asyncio.gather(busy, stream, other)

    asyncio.run(scenario())


def test_a_body_arrives_before_its_request_takes_a_turn() -> None:
    async def scenario() -> None:
        inner = Blocking()
        app = Admission(inner, limit=1, timeout_s=10)
        body_done = asyncio.Event()
        slow = asyncio.create_task(
            request(
                app,
                "/api/lista",
                method="POST",
                chunks=[b'{"topics": ', b"[]}"],
                before_last_chunk=body_done.wait(),
            )
        )
        await settle()
        quick = asyncio.create_task(request(app, "/api/me"))
        await settle()
        # the slow client's body is still arriving: the request behind it runs meanwhile
        assert inner.started == ["/api/me"]
        body_done.set()
        await settle()
        assert inner.started == ["/api/me"]  # now it waits for the turn /api/me holds
        inner.gate("/api/me").set()
        inner.gate("/api/lista").set()
        await asyncio.gather(slow, quick)
        assert inner.started == ["/api/me", "/api/lista"]
        assert inner.bodies["/api/lista"] == b'{"topics": []}'  # handed over whole

    asyncio.run(scenario())


def _middleware(settings: Settings) -> list[type]:
    return [m.cls for m in create_app(settings).user_middleware]  # type: ignore[misc]


def test_the_queue_is_on_by_default_and_a_setting_turns_it_off(settings: Settings) -> None:
    assert Admission in _middleware(settings)
    assert settings.max_concurrent_requests == 4
    off = settings.model_copy(update={"max_concurrent_requests": 0})
    assert Admission not in _middleware(off)


def test_an_app_called_from_one_event_loop_after_another_queues_in_each() -> None:
    inner = Blocking()
    app = Admission(inner, limit=1, timeout_s=10)

    async def contended(first: str, second: str) -> None:
        a = asyncio.create_task(request(app, first))
        await settle()
        b = asyncio.create_task(request(app, second))
        await settle()
        assert inner.started[-1] == first  # the second waits
        inner.gate(first).set()
        inner.gate(second).set()
        await asyncio.gather(a, b)

    asyncio.run(contended("/a", "/b"))
    asyncio.run(contended("/c", "/d"))  # a new loop: no "bound to a different event loop"
    assert inner.started == ["/a", "/b", "/c", "/d"]
