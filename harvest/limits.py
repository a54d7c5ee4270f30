"""The per-request rate limit, in front of REST and GraphQL over HTTP.

Every request to ``/v1`` and ``/graphql`` is counted once here, before any
route runs (an admitted one with a caller also in the caller's monthly API
calls), and every response carries the ``X-RateLimit-*`` headers of the
bucket it counted in (or of the bucket that refused it deeper down, such as
the generation limits).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harvest.metrics import RATE_LIMIT_REFUSALS
from resolvers.callers import CallerResolver
from resolvers.errors import HarvestError, RateLimited
from resolvers.ports import RateLimitStore
from resolvers.ratelimit import Caller, check_request
from resolvers.usage_meter import ApiCallMeter
from rest_compat.errors import envelope
from schema.errors import error_extensions

USER_SUBJECT = "user:"

CREDENTIAL_ROUTES = frozenset(
    {
        "/v1/auth/login",
        "/v1/auth/signup",
        "/v1/auth/forgot-password",
        "/v1/auth/reset-password",
    }
)


def is_counted(scope: Scope) -> bool:
    """API requests count; health probes and CORS preflights do not."""
    if scope["type"] != "http" or scope["method"] == "OPTIONS":
        return False
    path: str = scope["path"]
    return path == "/graphql" or path == "/v1" or path.startswith("/v1/")


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def bearer(scope: Scope) -> str | None:
    scheme, _, token = (header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def caller_of(scope: Scope, resolver: CallerResolver) -> Caller:
    """The request's caller, resolved once and kept on the scope."""
    state = scope.setdefault("state", {})
    caller: Caller | None = state.get("caller")
    if caller is None:
        client = scope.get("client")
        caller = await resolver.resolve(bearer(scope), client[0] if client else None)
        state["caller"] = caller
    return caller


class RateLimitMiddleware:
    """Counts each API request in its bucket and answers 429 past the limit."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: RateLimitStore,
        resolver: CallerResolver,
        meter: ApiCallMeter | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.resolver = resolver
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_counted(scope):
            await self.app(scope, receive, send)
            return
        caller = await caller_of(scope, self.resolver)
        try:
            state = await check_request(
                self.store,
                self.resolver.config,
                caller=caller,
                credential=scope["method"] == "POST"
                and scope["path"] in CREDENTIAL_ROUTES,
            )
        except RateLimited as refusal:
            RATE_LIMIT_REFUSALS.labels(str(refusal.details.get("bucket", "-"))).inc()
            await send_error(scope, send, refusal)
            return
        if self.meter is not None and caller.subject.startswith(USER_SUBJECT):
            self.meter.count(caller.subject.removeprefix(USER_SUBJECT))
        limit_headers = [
            (name.lower().encode(), value.encode())
            for name, value in state.headers().items()
        ]

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-ratelimit-bucket" for k, _ in headers):
                    headers.extend(limit_headers)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_limits)


async def send_error(scope: Scope, send: Send, error: HarvestError) -> None:
    """``error`` in the spec's envelope, or as a GraphQL error on /graphql."""
    body: dict[str, Any]
    if scope["path"] == "/graphql":
        body = {
            "data": None,
            "errors": [
                {"message": error.message, "extensions": error_extensions(error)}
            ],
        }
    else:
        body = envelope(error)
    payload = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
    ]
    await send(
        {"type": "http.response.start", "status": error.http_status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": payload})
