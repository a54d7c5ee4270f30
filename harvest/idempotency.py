"""``Idempotency-Key`` on every POST to ``/v1`` and ``/graphql``.

The rules live in ``resolvers.idempotency``; this middleware only claims the
key before the request runs, records what it answered, and replays it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harvest.limits import caller_of, header, is_counted, send_error
from models.db import Database
from resolvers.callers import CallerResolver
from resolvers.errors import HarvestError
from resolvers.idempotency import (
    Claim,
    StoredResponse,
    check_key,
    claim_key,
    complete_key,
    fingerprint,
    release_key,
)

logger = logging.getLogger(__name__)

MAX_BUFFERED_BODY = 1024 * 1024
REPLAYED_HEADER = (b"idempotent-replayed", b"true")
KEPT_HEADERS = frozenset(
    {"content-type", "location", "content-disposition", "cache-control", "link"}
)


class IdempotencyMiddleware:
    """Runs each keyed POST at most once per caller, and replays its answer."""

    def __init__(self, app: ASGIApp, *, db: Database, resolver: CallerResolver) -> None:
        self.app = app
        self.db = db
        self.resolver = resolver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_key = header(scope, b"idempotency-key")
        if raw_key is None or scope["method"] != "POST" or not is_counted(scope):
            await self.app(scope, receive, send)
            return
        body, complete = await read_body(receive)
        if not complete:
            # Too large to be a request the API accepts: it is refused downstream.
            await self.app(scope, replay_receive(body, receive, more=True), send)
            return
        try:
            claim = await self._claim(scope, raw_key.strip(), body)
        except HarvestError as error:
            await send_error(scope, send, error)
            return
        if isinstance(claim, StoredResponse):
            await send_stored(send, claim)
            return
        await self._run(scope, replay_receive(body, receive), send, claim)

    async def _claim(
        self, scope: Scope, raw_key: str, body: bytes
    ) -> Claim | StoredResponse:
        key = check_key(raw_key)
        caller = await caller_of(scope, self.resolver)
        request_hash = fingerprint(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            body=body,
        )
        async with self.db.session() as session:
            return await claim_key(
                session, owner=caller.owner, key=key, request_hash=request_hash
            )

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, claim: Claim
    ) -> None:
        recorded: dict[str, Any] = {"status": 500, "headers": {}, "body": []}

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                recorded["status"] = message["status"]
                recorded["headers"] = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() in KEPT_HEADERS
                }
            elif message["type"] == "http.response.body":
                recorded["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except BaseException:
            await asyncio.shield(self._settle(claim, None))
            raise
        response = StoredResponse(
            status=recorded["status"],
            body=b"".join(recorded["body"]),
            headers=recorded["headers"],
        )
        await asyncio.shield(self._settle(claim, response))

    async def _settle(self, claim: Claim, response: StoredResponse | None) -> None:
        try:
            async with self.db.session() as session:
                if response is None:
                    await release_key(session, claim=claim)
                else:
                    await complete_key(session, claim=claim, response=response)
        except Exception:
            # The claim goes stale and is taken over after a while.
            logger.exception(
                "could not settle an idempotency key",
                extra={"record_id": claim.record_id},
            )


async def read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and whether it was read whole within the bound."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BUFFERED_BODY:
            return b"".join(chunks), not message.get("more_body", False)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def replay_receive(body: bytes, receive: Receive, *, more: bool = False) -> Receive:
    """A ``receive`` that hands over the buffered body, then the real stream."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed


async def send_stored(send: Send, stored: StoredResponse) -> None:
    headers = [
        (k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers.items()
    ]
    headers += [
        (b"content-length", str(len(stored.body)).encode()),
        REPLAYED_HEADER,
    ]
    await send(
        {"type": "http.response.start", "status": stored.status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": stored.body})
