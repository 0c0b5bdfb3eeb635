"""The outbox's periodic job: every 30 s, send what is due (both job backends)."""

from __future__ import annotations

from app.core import jobs
from app.mail.service import dispatch_due


@jobs.periodic("dispatch_outbox", seconds=30)
def dispatch_outbox() -> int:
    """Send every due outbox message (idempotent: each message is claimed once)."""
    return dispatch_due(engine=jobs.engine(), settings=jobs.settings())
