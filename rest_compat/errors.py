"""Domain errors as the spec's envelope, with the table's HTTP status."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from models.db import is_outage, is_redis_outage, is_unstorable_text
from resolvers.context import current_request_id
from resolvers.errors import (
    ErrorCode,
    HarvestError,
    NotFound,
    ServerError,
    ServiceUnavailable,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

DOCS_URL = "https://docs.harvest.ai/errors/"
OUTAGE_RETRY_AFTER = "5"


def envelope(error: HarvestError, request_id: str | None = None) -> dict[str, Any]:
    """The spec's error body for ``error``."""
    body: dict[str, Any] = {
        "code": error.code.value,
        "message": error.message,
        "details": error.details,
        "request_id": request_id or current_request_id.get(),
        "documentation_url": DOCS_URL + error.code.value,
    }
    body.update(error.extra)
    return {"error": body}


def error_response(error: HarvestError, *, status: int | None = None) -> Response:
    """A JSON response carrying ``error`` in the envelope."""
    return Response(
        orjson.dumps(envelope(error)),
        status_code=status or error.http_status,
        media_type="application/json",
        headers=error.headers,
    )


def as_domain_error(exc: BaseException) -> HarvestError:
    """Map any exception to the domain error a client should see."""
    if isinstance(exc, HarvestError):
        return exc
    if is_unstorable_text(exc):
        return ValidationFailed(
            "Text may not contain NUL (\\u0000) characters", reason="nul_character"
        )
    if is_redis_outage(exc):
        return ServiceUnavailable(
            "Redis is unreachable: retry shortly",
            headers={"Retry-After": OUTAGE_RETRY_AFTER},
        )
    if is_outage(exc):
        return ServiceUnavailable(
            "The database is unreachable: retry shortly",
            headers={"Retry-After": OUTAGE_RETRY_AFTER},
        )
    return ServerError()


async def handle_harvest_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HarvestError)
    return error_response(exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 / 405 / 400, in the envelope."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error: HarvestError = NotFound(
            f"No route for {request.method} {request.url.path}: see /v1/openapi.json"
        )
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        error = NotFound(
            f"{request.method} is not allowed on {request.url.path}",
            details={"allowed_methods": [m.strip() for m in allowed.split(",") if m]},
            headers=dict(exc.headers or {}),
        )
    elif exc.status_code < 500:
        error = ValidationFailed(str(exc.detail))
    else:
        error = ServerError()
    return error_response(error, status=exc.status_code)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Anything else: logged once here, answered SERVER_ERROR (or 503 for an
    unreachable database) with no internals."""
    error = as_domain_error(exc)
    if error.code is ErrorCode.SERVER_ERROR:
        logger.error(
            "unhandled exception",
            exc_info=exc,
            extra={"method": request.method, "path": request.url.path},
        )
    return error_response(error)


# nginx's code for "the client closed the request": nobody reads the answer,
# but the access log shows what happened instead of a 500.
CLIENT_CLOSED_REQUEST = 499


async def handle_client_disconnect(request: Request, exc: Exception) -> Response:
    """The client went away while its request body was still being read:
    nothing was started, so there is nothing to keep and nothing to log as
    an error."""
    logger.info(
        "client disconnected before its request was read",
        extra={"method": request.method, "path": request.url.path},
    )
    return Response(status_code=CLIENT_CLOSED_REQUEST)


def error_code_of(exc: BaseException) -> ErrorCode:
    return as_domain_error(exc).code


EXCEPTION_HANDLERS = {
    HarvestError: handle_harvest_error,
    HTTPException: handle_http_exception,
    ClientDisconnect: handle_client_disconnect,
    Exception: handle_unexpected,
}
