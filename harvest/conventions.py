"""The spec's protocol conventions around every response: CORS, gzip, the
``X-API-Version`` header; and the order the platform middleware runs in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harvest.idempotency import IdempotencyMiddleware
from harvest.limits import RateLimitMiddleware, header, send_error
from resolvers.callers import CallerResolver
from resolvers.errors import ValidationFailed
from rest_compat.errors import error_response

if TYPE_CHECKING:
    from harvest.app import Parts

API_VERSION = "1.0.0"
VERSION_HEADER = (b"x-api-version", API_VERSION.encode())
ACCEPTED_VERSIONS = frozenset({"1", "1.0", "1.0.0"})

# The spec's origins: any harvest.ai subdomain over HTTPS, localhost on any port.
SPEC_ORIGINS = r"https://([A-Za-z0-9-]+\.)*harvest\.ai|http://localhost(:\d{1,5})?"
CORS_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "X-API-Version",
    "X-Request-ID",
)
EXPOSED_HEADERS = (
    "X-Request-ID",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Reset-After",
    "X-RateLimit-Bucket",
    "Retry-After",
    "Idempotent-Replayed",
    "X-API-Version",
    "Content-Disposition",
)
GZIP_MINIMUM_BYTES = 500


class HarvestCORS(CORSMiddleware):
    """Starlette's CORS, with refused preflights answered in the envelope."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        origin = request_headers.get("origin", "")
        if not self.is_allowed_origin(origin):
            field, reason = "Origin", f"origin '{origin}' is not allowed"
        elif request_headers.get("access-control-request-method") not in (
            self.allow_methods
        ):
            field, reason = "Access-Control-Request-Method", "method is not allowed"
        else:
            field, reason = "Access-Control-Request-Headers", "a header is not allowed"
        refused = error_response(
            ValidationFailed(
                f"CORS preflight refused: {reason}", field=field, reason=reason
            )
        )
        refused.headers.update(
            {k: v for k, v in response.headers.items() if k.lower().startswith("vary")}
        )
        return refused


class ApiVersionHeader:
    """Says which version answered, on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), VERSION_HEADER]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_version)


class ApiVersionCheck:
    """Accepts the one version there is; names ``X-API-Version`` otherwise.

    It runs inside the rate limit, so a refused version is counted and carries
    the ``X-RateLimit-*`` headers like any other answer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = header(scope, b"x-api-version") if scope["type"] == "http" else None
        if asked is not None and asked.strip().lower() not in ACCEPTED_VERSIONS:
            await send_error(
                scope,
                send,
                ValidationFailed(
                    f"Unsupported X-API-Version '{asked.strip()}': this server speaks "
                    f"{API_VERSION} (send 1, 1.0 or 1.0.0, or leave the header out)",
                    field="X-API-Version",
                    reason="unsupported_version",
                ),
            )
            return
        await self.app(scope, receive, send)


def cors_middleware(origins: tuple[str, ...]) -> Middleware:
    """CORS for the spec's origins plus ``HARVEST_CORS_ORIGINS``."""
    return Middleware(
        HarvestCORS,
        allow_origins=list(origins),
        allow_origin_regex=SPEC_ORIGINS,
        allow_methods=("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
        allow_headers=CORS_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )


def compression_middleware() -> Middleware:
    """gzip when the client asks; event streams pass through uncompressed."""
    return Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES)


def platform_middleware(parts: Parts) -> list[Middleware]:
    """The platform's middleware, outermost first (inside the request id)."""
    resolver = CallerResolver(parts.db, parts.config)
    return [
        cors_middleware(parts.settings.cors_origins),
        compression_middleware(),
        Middleware(ApiVersionHeader),
        Middleware(
            RateLimitMiddleware,
            store=parts.services.rate_limits,
            resolver=resolver,
            meter=parts.api_calls,
        ),
        Middleware(ApiVersionCheck),
        Middleware(IdempotencyMiddleware, db=parts.db, resolver=resolver),
    ]
