"""The request body cap, applied to every HTTP request before anything reads it.

A declared ``Content-Length`` over the cap is refused at once, unread; a chunked
body is counted as it arrives and refused the moment it passes the cap. Either
way the answer is 413 with VALIDATION_ERROR (``reason: too_large``) in the
spec's envelope, so no JSON or GraphQL parser ever sees the oversized body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harvest.limits import header
from resolvers.errors import PayloadTooLarge
from rest_compat.errors import error_response
from rest_compat.shim import MAX_BODY_BYTES


class BodyLimitMiddleware:
    """Refuses request bodies larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length") or ""
        if declared.isdigit() and int(declared) > self.max_bytes:
            refusal = error_response(PayloadTooLarge(self.max_bytes))
            await refusal(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except PayloadTooLarge as error:
            # Raised where a middleware (not a route) was reading the body.
            if started:
                raise
            await error_response(error)(scope, receive, send)
