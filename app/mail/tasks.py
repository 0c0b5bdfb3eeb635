"""The outbox's periodic job: every 30 s, send what is due (both job backends)."""

from __future__ import annotations

from app.core import clock, jobs
from app.mail.service import dispatch_due, release_claims


@jobs.periodic("dispatch_outbox", seconds=30)
def dispatch_outbox() -> int:
    """Send every due outbox message (idempotent: each message is claimed once)."""
    return dispatch_due(engine=jobs.engine(), settings=jobs.settings())


@jobs.settle_on_start("release_outbox_claims")
def release_outbox_claims() -> int:
    """Start-up of the embedded runner (the only sender): the dead process's claims return
    to the queue at once instead of after their lease."""
    return release_claims(engine=jobs.engine(), now=clock.now())
