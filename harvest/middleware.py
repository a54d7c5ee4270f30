"""ASGI middleware around everything: request ids, the access log line and the
request metrics, and the last line of defence that turns an escaped exception
into the envelope."""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harvest import metrics
from harvest.graphql_observer import OPERATION_STATE_KEY
from harvest.tracing import annotate_request_span
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
        annotate_request_span(request_id=request_id)
        started = time.perf_counter()
        root_path = str(scope.get("root_path", ""))
        status: dict[str, Any] = {"code": None}
        live = contextlib.ExitStack()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
                _annotate_span(scope, root_path, request_id)
                if _is_event_stream(headers):
                    live.enter_context(
                        metrics.gauge_while(
                            metrics.SSE_STREAMS, metrics.route_label(scope, root_path)
                        )
                    )
            elif message["type"] == "websocket.accept":
                status["code"] = 101
                _annotate_span(scope, root_path, request_id)
                live.enter_context(
                    metrics.gauge_while(
                        metrics.WEBSOCKETS, metrics.route_label(scope, root_path)
                    )
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if scope["type"] != "http" or status["code"] is not None:
                raise
            error = as_domain_error(exc)
            if error.code.value == "SERVER_ERROR":
                logger.error("unhandled exception", exc_info=exc)
            status["code"] = error.http_status
            await _send_error(send, error, request_id)
        finally:
            live.close()
            _access_line(scope, root_path, status["code"], started, request_id)
            current_request_id.reset(token)


def _access_line(
    scope: Scope, root_path: str, status: int | None, started: float, request_id: str
) -> None:
    """One log line and the request metrics for a finished request or socket."""
    seconds = time.perf_counter() - started
    route = metrics.route_label(scope, root_path)
    state = scope.get("state", {})
    operation = metrics.operation_label(state.get(OPERATION_STATE_KEY))
    method = str(scope.get("method") or "WS")
    if scope["type"] == "http":
        metrics.observe_request(
            method=method,
            route=route,
            operation=operation,
            status=status or 500,
            seconds=seconds,
        )
    logger.info(
        "request" if scope["type"] == "http" else "websocket closed",
        extra={
            "method": method,
            "path": scope.get("path"),
            "route": route,
            "operation": operation or None,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "principal_id": _principal_id(scope),
        },
    )


def _annotate_span(scope: Scope, root_path: str, request_id: str) -> None:
    # The request span ends with the response, so it is named at its start.
    annotate_request_span(
        request_id=request_id,
        route=metrics.route_label(scope, root_path),
        operation=scope.get("state", {}).get(OPERATION_STATE_KEY),
    )


def _is_event_stream(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        key.lower() == b"content-type" and value.startswith(b"text/event-stream")
        for key, value in headers
    )


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
