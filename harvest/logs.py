"""Logging: one event per line, with the request id; JSON in production.

Modules log through the standard library (``logging.getLogger(__name__)``,
constant messages, ids in ``extra``); structlog renders every record.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from resolvers.context import current_request_id

_RESERVED = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}
SECRET_WORDS = ("password", "token", "secret", "authorization", "api_key", "key_hash")
# Lines written by libraries (uvicorn's WebSocket lines carry the whole URL)
# can hold a credential in a query string; these shapes are masked wherever
# they appear in a rendered value.
_SECRET_SHAPES = re.compile(
    r"(?P<param>\b(?:token|access_token|refresh_token|api_key|key|code|state)=)"
    r"[^&\s\"']+"
    r"|\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*"
    r"|\bhv_[A-Za-z0-9_]{8,}"
)


def _add_request_id(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event.setdefault("request_id", current_request_id.get())
    return event


def _add_extra(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if record is not None:
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                event.setdefault(key, value)
    return event


def _mask(match: re.Match[str]) -> str:
    return (match.group("param") or "") + "[redacted]"


def _drop_secrets(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if any(word in key.lower() for word in SECRET_WORDS):
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = _SECRET_SHAPES.sub(_mask, value)
    return event


def configure_logging(*, production: bool, level: str = "INFO") -> None:
    """Install the one handler on the root logger (idempotent)."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if production
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_extra,
            _add_request_id,
            _drop_secrets,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("harvest")
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "harvest"]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True
    # Their request lines carry whole URLs (query strings and all); the
    # adapters log one line of their own per outbound call instead.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
