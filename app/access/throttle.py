"""The throttle of failed API-key authentications, per client address.

Kept in this process's memory, not in the database: a flood of random keys then costs no
writes, and keys are long random tokens that no throttle is needed to protect from
guessing; it caps the load and the noise of one address. Several server processes each
count on their own (the limit is per process). The web pages' login, where a password
can be guessed, keeps its failures in the database instead (`app.access.users`).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque

from sqlmodel import Session

from app.access.principal import Principal
from app.access.service import find_principal
from app.core.errors import TooManyRequests, Unauthorized

MISSING_KEY = "Falta la clave de acceso (cabecera Authorization: Bearer <clave>)."
INVALID_KEY = "La clave de acceso no es válida o fue revocada."


class FailureWindow:
    """Failures per address within a sliding window of `window_s` seconds; at `limit`
    failures the address waits until the oldest one leaves the window. At most
    `max_addresses` are tracked (the least recently failing is forgotten first)."""

    def __init__(self, *, limit: int, window_s: float, max_addresses: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str, *, now: float) -> int | None:
        """Seconds this address must wait, or None when it may try."""
        with self._lock:
            times = self._failures.get(address)
            if times is None:
                return None
            while times and times[0] <= now - self.window_s:
                times.popleft()
            if not times:
                del self._failures[address]
                return None
            if len(times) < self.limit:
                return None
            return max(1, math.ceil(times[0] + self.window_s - now))

    def record(self, address: str, *, now: float) -> None:
        with self._lock:
            times = self._failures.pop(address, None) or deque()
            times.append(now)
            while len(times) > self.limit:
                times.popleft()
            self._failures[address] = times
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)


def authenticate_key(
    *, session: Session, token: str | None, address: str, failures: FailureWindow, now: float
) -> Principal:
    """The principal of a bearer token: 429 while the address is throttled, 401 for a
    missing key, 401 (and one more failure) for an unknown or revoked one."""
    wait = failures.retry_after(address, now=now)
    if wait is not None:
        raise TooManyRequests(
            "Demasiados intentos con claves de acceso no válidas desde esta dirección. "
            f"Espere {wait} segundos antes de volver a intentarlo.",
            retry_after=wait,
        )
    if not token:
        raise Unauthorized(MISSING_KEY)
    principal = find_principal(session=session, token=token)
    if principal is None:
        failures.record(address, now=now)
        raise Unauthorized(INVALID_KEY)
    return principal
