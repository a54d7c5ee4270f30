"""ASGI middleware around everything: request ids, the access log line, and
the last line of defence that turns an escaped exception into the envelope."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.context import current_request_id
from rest_compat.errors import as_domain_error, envelope

logger = logging.getLogger("harvest.access")

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def new_request_id() -> str:
    return "req_" + uuid.uuid4().hex[:20]


class RequestIdMiddleware:
    """Give every request an id (echoing a sane ``X-Request-ID``), log it once,
    and answer any escaped exception in the spec's envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = (
            incoming if incoming and _VALID_ID.match(incoming) else new_request_id()
        )
        token = current_request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status: dict[str, Any] = {"code": None}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if scope["type"] != "http":
                raise
            if status["code"] is not None:
                # The app's exception handler has answered and logged it; the
                # re-raise Starlette does for servers would only log it twice.
                return
            error = as_domain_error(exc)
            if error.code.value == "SERVER_ERROR":
                logger.error("unhandled exception", exc_info=exc)
            status["code"] = error.http_status
            await _send_error(send, error, request_id)
        finally:
            if scope["type"] == "http":
                logger.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status["code"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "principal_id": _principal_id(scope),
                    },
                )
            current_request_id.reset(token)


async def _send_error(send: Send, error: Any, request_id: str) -> None:
    body = orjson.dumps(envelope(error, request_id))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    headers.extend((k.lower().encode(), v.encode()) for k, v in error.headers.items())
    await send(
        {"type": "http.response.start", "status": error.http_status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _principal_id(scope: Scope) -> str | None:
    rc = scope.get("state", {}).get("rc")
    principal = getattr(rc, "principal", None)
    return getattr(principal, "id", None)
