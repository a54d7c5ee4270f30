"""The spec's WebSocket protocol, served on ``/v1`` and ``/v1/ws``.

A connection authenticates with ``?token=`` (or an ``Authorization`` header,
or an ``auth`` message first), holds one of its tier's connection leases, and
then exchanges JSON messages. Everything a message does goes through
resolvers/, so it counts against the same limits as REST and GraphQL.

Refusals of a single message (a subscription to someone else's events, a
generation that cannot start) are answered with a frame and the connection
stays open: ``error`` for subscriptions, ``generation_error`` for generations.
The connection itself is closed with the spec's codes:

    4000 invalid token          4001 expired token
    4002 too many connections   4003 invalid message (bad JSON, unknown type,
    1008 no credential, or a    larger than MAX_MESSAGE_BYTES)
         client too slow to     1001 the server is going away
         keep up (resume then)

Frames to a client wait in a bounded ``Outbox``; a client that lets it fill
is closed with 1008, its queued frames dropped. A close frame goes out behind
the frames already handed to the socket, so a client that reads nothing at
all never takes it: after CLOSE_TIMEOUT_SECONDS the server stops waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from models.base import isoformat, new_id, utcnow
from resolvers import generation as generation_resolvers
from resolvers import realtime
from resolvers.auth_tokens import TokenExpired
from resolvers.context import RequestContext
from resolvers.errors import HarvestError, ServerError, ValidationFailed
from resolvers.generation_request import GenerationRequest
from subscriptions.hub import Hub, Message, SlowConsumer
from subscriptions.outbox import Outbox
from subscriptions.registry import ConnectionRegistry

if TYPE_CHECKING:
    from schema.context import ContextFactory

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
AUTH_TIMEOUT_SECONDS = 10.0
OUTBOUND_QUEUE_FRAMES = 1024
OUTBOUND_QUEUE_BYTES = 1024 * 1024
CLOSE_TIMEOUT_SECONDS = 5.0
LEASE_RENEW_SECONDS = 30.0
SLOW_CONSUMER_REASON = "slow consumer: reconnect and resume from your last chunk_index"


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001
    POLICY_VIOLATION = 1008
    SERVER_ERROR = 1011
    INVALID_TOKEN = 4000
    TOKEN_EXPIRED = 4001
    RATE_LIMITED = 4002
    INVALID_MESSAGE = 4003


class Close(Exception):
    """Ends the connection with ``code`` and a reason the client can read."""

    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


GenerationStarter = Callable[[RequestContext, dict[str, Any]], Awaitable[str]]
GenerationCanceller = Callable[[RequestContext, str], Awaitable[None]]


def server_time() -> str:
    return str(isoformat(utcnow()))


def error_body(exc: HarvestError) -> dict[str, Any]:
    """The ``error`` member of an error frame."""
    body: dict[str, Any] = {"code": exc.code.value, "message": exc.message}
    if exc.details:
        body["details"] = exc.details
    retry_after = exc.extra.get("retry_after") or exc.headers.get("Retry-After")
    if retry_after is not None:
        body["retry_after"] = int(retry_after)
    return body


class SpecConnection:
    """One client connection speaking the spec's protocol."""

    def __init__(
        self,
        websocket: WebSocket,
        *,
        contexts: ContextFactory,
        hub: Hub,
        registry: ConnectionRegistry,
        start: GenerationStarter,
        cancel: GenerationCanceller,
    ) -> None:
        self.websocket = websocket
        self.contexts = contexts
        self.hub = hub
        self.registry = registry
        self.start_generation = start
        self.cancel_generation = cancel
        self.session_id = new_id("sess", 16)
        self.outbound = Outbox(
            max_frames=OUTBOUND_QUEUE_FRAMES, max_bytes=OUTBOUND_QUEUE_BYTES
        )
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.rc: RequestContext | None = None
        self.closing: tuple[int, str] | None = None
        self.finished = asyncio.Event()
        self._closed = asyncio.Event()

    async def serve(self) -> None:
        await self.websocket.accept()
        user_id: str | None = None
        lease: str | None = None
        try:
            if self.registry.closing:
                raise Close(CloseCode.GOING_AWAY, "server shutting down")
            self.rc = await self._authenticate()
            user_id = self.rc.require_principal().user_id
            lease = await self.hub.connections.acquire(
                user_id, limit=realtime.websocket_connection_limit(self.rc)
            )
            if lease is None:
                raise Close(
                    CloseCode.RATE_LIMITED,
                    "too many open connections for your tier",
                )
            if self.registry.closing:
                raise Close(CloseCode.GOING_AWAY, "server shutting down")
            self.registry.open.add(self)
            await self._run(user_id, lease)
        except Close as exc:
            self.close(exc.code, exc.reason)
        except WebSocketDisconnect:
            pass
        except Exception:
            logger.exception(
                "websocket connection failed", extra={"session_id": self.session_id}
            )
            self.close(CloseCode.SERVER_ERROR, "server error")
        finally:
            self.registry.open.discard(self)
            for task in list(self.tasks.values()):
                task.cancel()
            # Released before the close frame, so a client told to reconnect can.
            if lease is not None and user_id is not None:
                with contextlib.suppress(Exception):
                    await self.hub.connections.release(user_id, lease)
            await self._send_close()
            self.finished.set()

    def close(self, code: int, reason: str) -> None:
        """Ask for the connection to end with ``code``; the first ask wins.

        Frames not yet handed to the socket are dropped; ``serve`` sends the
        close frame once its tasks have stopped.
        """
        if self.closing is not None:
            return
        self.closing = (code, reason)
        self.outbound.clear()
        self._closed.set()

    async def _send_close(self) -> None:
        if self.closing is None:
            return
        if self.websocket.application_state != WebSocketState.CONNECTED:
            return
        code, reason = self.closing
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await self.websocket.close(code=int(code), reason=reason[:120])
        except TimeoutError:
            logger.info(
                "websocket client took no close frame",
                extra={"session_id": self.session_id, "code": int(code)},
            )
        except Exception:
            return

    async def _authenticate(self) -> RequestContext:
        token = self.websocket.query_params.get("token")
        header = self.websocket.headers.get("authorization", "")
        if not token and header.lower().startswith("bearer "):
            token = header[7:].strip()
        if not token:
            try:
                async with asyncio.timeout(AUTH_TIMEOUT_SECONDS):
                    raw = await self.websocket.receive_text()
            except TimeoutError as exc:
                raise Close(CloseCode.POLICY_VIOLATION, "authenticate first") from exc
            message = self._parse(raw)
            if message.get("type") != "auth":
                raise Close(
                    CloseCode.POLICY_VIOLATION,
                    "authenticate first: send ?token= or an 'auth' message",
                )
            token = message.get("token")
            if not isinstance(token, str) or not token:
                raise Close(CloseCode.INVALID_TOKEN, "invalid token")
        rc = await self.contexts.build(
            token=token,
            client_ip=self.websocket.client.host if self.websocket.client else None,
            surface="websocket",
        )
        if isinstance(rc.auth_error, TokenExpired):
            raise Close(CloseCode.TOKEN_EXPIRED, "token expired: refresh it")
        if rc.principal is None:
            raise Close(CloseCode.INVALID_TOKEN, "invalid token")
        return rc

    async def _run(self, user_id: str, lease: str) -> None:
        self.send(
            {
                "type": "connected",
                "session_id": self.session_id,
                "server_time": server_time(),
            }
        )
        self._spawn(
            "notifications", self._forward(realtime.listen_notifications(self._rc))
        )
        writer = asyncio.create_task(self._write())
        renewer = asyncio.create_task(self._renew(user_id, lease))
        reader = asyncio.create_task(self._read())
        closed = asyncio.create_task(self._closed.wait())
        try:
            done, _ = await asyncio.wait(
                {writer, reader, closed}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if task is not closed and not task.cancelled():
                    error = task.exception()
                    if error is not None:
                        raise error
        finally:
            for task in (writer, renewer, reader, closed):
                task.cancel()

    async def _renew(self, user_id: str, lease: str) -> None:
        while True:
            await asyncio.sleep(LEASE_RENEW_SECONDS)
            with contextlib.suppress(Exception):
                await self.hub.connections.renew(user_id, lease)

    async def _write(self) -> None:
        while True:
            text = await self.outbound.get()
            # uvicorn waits here while its write buffer is over its high water.
            await self.websocket.send_text(text)

    def send(self, frame: dict[str, Any]) -> None:
        """Queue a frame; a client that lets the outbox fill is closed (1008)."""
        if self.closing is not None:
            return
        text = (
            frame.text if isinstance(frame, Message) else orjson.dumps(frame).decode()
        )
        if not self.outbound.put(text):
            logger.warning(
                "slow websocket client closed",
                extra={
                    "session_id": self.session_id,
                    "frames": len(self.outbound),
                    "bytes": self.outbound.bytes,
                },
            )
            self.close(CloseCode.POLICY_VIOLATION, SLOW_CONSUMER_REASON)

    async def _read(self) -> None:
        while True:
            raw = await self.websocket.receive_text()
            message = self._parse(raw)
            await self._dispatch(message)

    def _parse(self, raw: str) -> dict[str, Any]:
        if len(raw.encode()) > MAX_MESSAGE_BYTES:
            raise Close(
                CloseCode.INVALID_MESSAGE,
                f"message larger than {MAX_MESSAGE_BYTES} bytes",
            )
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise Close(CloseCode.INVALID_MESSAGE, "message is not valid JSON") from exc
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise Close(
                CloseCode.INVALID_MESSAGE, "message must be an object with a type"
            )
        return message

    async def _dispatch(self, message: dict[str, Any]) -> None:
        handlers = {
            "ping": self._on_ping,
            "auth": self._on_auth,
            "subscribe": self._on_subscribe,
            "unsubscribe": self._on_unsubscribe,
            "generation_start": self._on_generation_start,
            "generation_cancel": self._on_generation_cancel,
        }
        handler = handlers.get(message["type"])
        if handler is None:
            raise Close(
                CloseCode.INVALID_MESSAGE, f"unknown message type '{message['type']}'"
            )
        await handler(message)

    async def _on_ping(self, message: dict[str, Any]) -> None:
        self.send({"type": "pong", "server_time": server_time()})

    async def _on_auth(self, message: dict[str, Any]) -> None:
        # Already authenticated: a repeated auth message changes nothing.
        self.send(
            {
                "type": "connected",
                "session_id": self.session_id,
                "server_time": server_time(),
            }
        )

    async def _on_subscribe(self, message: dict[str, Any]) -> None:
        channel = message.get("channel")
        filters = message.get("filters") or {}
        try:
            if not isinstance(filters, dict):
                raise ValidationFailed(field="filters", reason="must be an object")
            if channel == "generations":
                stream = await self._generations_feed(filters)
            elif channel == "generation":
                stream = await self._generation_stream(message, filters)
            elif channel == "notifications":
                self.send(
                    {
                        "type": "subscribed",
                        "channel": channel,
                        "subscription_id": "notifications",
                    }
                )
                return
            else:
                raise ValidationFailed(
                    "Unknown channel: use 'generations', 'generation' or "
                    "'notifications'",
                    field="channel",
                    reason="unknown_channel",
                )
        except HarvestError as exc:
            self.send({"type": "error", "channel": channel, "error": error_body(exc)})
            return
        subscription_id = new_id("sub", 12)
        self.send(
            {
                "type": "subscribed",
                "channel": channel,
                "subscription_id": subscription_id,
            }
        )
        self._spawn(subscription_id, self._forward(stream))

    async def _generations_feed(
        self, filters: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        return await realtime.listen_generation_feed(
            self._rc,
            user_id=_optional_str(filters, "user_id"),
            team_id=_optional_str(filters, "team_id"),
        )

    async def _generation_stream(
        self, message: dict[str, Any], filters: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        generation_id = message.get("generation_id") or filters.get("generation_id")
        if not isinstance(generation_id, str) or not generation_id:
            raise ValidationFailed(field="generation_id", reason="required")
        after = message.get("last_chunk_index", filters.get("last_chunk_index"))
        if after is None:
            after = -1
        if not isinstance(after, int) or isinstance(after, bool):
            raise ValidationFailed(
                field="last_chunk_index", reason="must be an integer >= -1"
            )
        return await realtime.follow_generation(
            self._rc, generation_id=generation_id, after=after
        )

    async def _on_unsubscribe(self, message: dict[str, Any]) -> None:
        task = self.tasks.pop(str(message.get("subscription_id")), None)
        if task is not None:
            task.cancel()
        self.send(
            {"type": "unsubscribed", "subscription_id": message.get("subscription_id")}
        )

    async def _on_generation_start(self, message: dict[str, Any]) -> None:
        request_id = message.get("request_id")
        data = message.get("data")
        try:
            if not isinstance(data, dict):
                raise ValidationFailed(field="data", reason="must be an object")
            generation_id = await self.start_generation(self._rc, data)
            stream = await realtime.follow_generation(
                self._rc, generation_id=generation_id
            )
        except HarvestError as exc:
            self.send(
                {
                    "type": "generation_error",
                    "request_id": request_id,
                    "generation_id": None,
                    "error": error_body(exc),
                }
            )
            return
        self._spawn(generation_id, self._forward(stream, request_id=request_id))

    async def _on_generation_cancel(self, message: dict[str, Any]) -> None:
        generation_id = message.get("generation_id")
        try:
            if not isinstance(generation_id, str) or not generation_id:
                raise ValidationFailed(field="generation_id", reason="required")
            await self.cancel_generation(self._rc, generation_id)
        except HarvestError as exc:
            self.send(
                {
                    "type": "generation_error",
                    "generation_id": generation_id,
                    "error": error_body(exc),
                }
            )

    @property
    def _rc(self) -> RequestContext:
        assert self.rc is not None
        return self.rc

    def _spawn(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self.tasks[key] = task
        task.add_done_callback(lambda t: self._finished(key, t))

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        if self.tasks.get(key) is task:
            del self.tasks[key]
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "websocket stream failed",
                exc_info=task.exception(),
                extra={"session_id": self.session_id},
            )

    async def _forward(
        self, stream: AsyncIterator[dict[str, Any]], *, request_id: Any = None
    ) -> None:
        telemetry = self.contexts.services.telemetry
        try:
            with telemetry.track_subscription("websocket"):
                async for event in stream:
                    if request_id is not None:
                        event = {**event, "request_id": request_id}
                    self.send(event)
        except SlowConsumer:
            self.close(CloseCode.POLICY_VIOLATION, SLOW_CONSUMER_REASON)
        except HarvestError as exc:
            self.send({"type": "error", "error": error_body(exc)})
        except Exception:
            logger.exception(
                "websocket stream failed", extra={"session_id": self.session_id}
            )
            self.send({"type": "error", "error": error_body(ServerError())})


def _optional_str(filters: dict[str, Any], name: str) -> str | None:
    value = filters.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValidationFailed(field=f"filters.{name}", reason="must be a string")
    return value


async def start_generation(rc: RequestContext, data: dict[str, Any]) -> str:
    """Start a generation for the caller through resolvers; its id.

    ``data`` is the body of POST /v1/generate: format, input, options, metadata.
    """
    request = GenerationRequest(
        format=data.get("format"),  # type: ignore[arg-type]
        input=data.get("input"),  # type: ignore[arg-type]
        options=data.get("options") or {},
        metadata=data.get("metadata") or {},
    )
    async with rc.db.session() as session:
        generation = await generation_resolvers.start_generation(
            session, ctx=rc, request=request
        )
    return str(generation.id)


async def cancel_generation(rc: RequestContext, generation_id: str) -> None:
    """Ask the generation's runner, wherever it runs, to stop."""
    async with rc.db.session() as session:
        await generation_resolvers.cancel_generation(
            session, ctx=rc, generation_id=generation_id
        )


def endpoint(
    *,
    contexts: ContextFactory,
    hub: Hub,
    registry: ConnectionRegistry,
    start: GenerationStarter = start_generation,
    cancel: GenerationCanceller = cancel_generation,
) -> Callable[[WebSocket], Awaitable[None]]:
    """The ASGI WebSocket endpoint serving the protocol."""

    async def serve(websocket: WebSocket) -> None:
        connection = SpecConnection(
            websocket,
            contexts=contexts,
            hub=hub,
            registry=registry,
            start=start,
            cancel=cancel,
        )
        await connection.serve()

    return serve
