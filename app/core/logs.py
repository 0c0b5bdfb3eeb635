"""Structured logs: one JSON object per line, each with the request id of the request that
wrote it (null outside a request)."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from app.core import context

FORMAT = "%(levelname)s %(name)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record that does not carry one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id()
        return True


def json_handler(stream: object = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(
        JsonFormatter(FORMAT, timestamp="time", rename_fields={"levelname": "level"})
    )
    handler.addFilter(RequestIdFilter())
    return handler


def configure(level: int = logging.INFO) -> None:
    """Route every logger (uvicorn's too) to one JSON-lines handler on stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(json_handler())
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
