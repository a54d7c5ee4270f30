"""POST /v1/generate/stream: a generation as Server-Sent Events.

Events: ``start`` (the generation id), one ``progress`` per chunk (``chunk``
and ``tokens``; its SSE ``id`` is the chunk's 0-based index, so a client can
tell where it stopped), then ``complete``, or ``error`` on failure, or
``cancelled``. The chunks join into the stored content. The runner does not
depend on this response: a client that disconnects loses nothing.

While the model is silent the stream sends an SSE comment (``: keep-alive``)
every ``sse_keepalive_seconds`` (15 s by default), so proxies and clients
that drop idle connections keep the stream open; clients ignore comments.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from resolvers.context import RequestContext
from resolvers.errors import ValidationFailed
from resolvers.generation import begin_generation
from resolvers.generation_request import GenerationRequest
from resolvers.generation_runner import RunHandle
from rest_compat.shim import read_json_body
from schema.context import bearer_token
from subscriptions import events

KEEPALIVE = b": keep-alive\n\n"


def sse(event: str, data: dict[str, Any], *, id: int | None = None) -> bytes:
    """One Server-Sent Event."""
    head = f"event: {event}\n" + (f"id: {id}\n" if id is not None else "")
    return head.encode() + b"data: " + orjson.dumps(data) + b"\n\n"


def frame(event: dict[str, Any]) -> bytes | None:
    """The SSE frame for a runner event (None for events SSE does not carry)."""
    kind = event["type"]
    if kind == events.CHUNK:
        return sse(
            "progress",
            {"chunk": event["chunk"], "tokens": event["tokens"]},
            id=event["chunk_index"],
        )
    if kind == events.COMPLETE:
        return sse(
            "complete",
            {
                "generation_id": event["generation_id"],
                "total_tokens": event["tokens_used"],
                "word_count": event["word_count"],
                "processing_time_ms": event["processing_time_ms"],
            },
        )
    if kind == events.ERROR:
        return sse("error", {"generation_id": event["generation_id"], **event["error"]})
    if kind == events.CANCELLED:
        return sse("cancelled", {"generation_id": event["generation_id"]})
    return None


async def with_keepalive(
    frames: AsyncIterable[bytes], interval: float
) -> AsyncIterator[bytes]:
    """``frames``, with a keep-alive comment after each ``interval`` seconds in
    which no frame came. The source is never cancelled mid-frame by the wait:
    the pending read carries over to the next round."""
    source = aiter(frames)
    pending: asyncio.Future[bytes] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(source))
            done, _ = await asyncio.wait({pending}, timeout=interval)
            if not done:
                yield KEEPALIVE
                continue
            try:
                data = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield data
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        closer = getattr(source, "aclose", None)
        if closer is not None:
            await closer()


def keepalive_seconds(request: Request) -> float:
    """The keep-alive interval of this server's SSE streams."""
    return float(request.app.state.parts.settings.sse_keepalive_seconds)


async def event_stream(generation_id: str, handle: RunHandle) -> AsyncIterator[bytes]:
    yield sse("start", {"generation_id": generation_id})
    async for event in handle.follow():
        data = frame(event)
        if data is not None:
            yield data


async def generate_stream(request: Request) -> Response:
    """Start a generation and stream it."""
    parts = request.app.state.parts
    ctx = await parts.contexts.build(
        token=bearer_token(request.headers),
        client_ip=request.client.host if request.client else None,
        surface="sse",
        shared_session=True,
    )
    request.state.rc = ctx
    try:
        return await _start_stream(request, ctx)
    finally:
        # the runner has its own sessions; the request's ends with its start
        await ctx.close()


async def _start_stream(request: Request, ctx: RequestContext) -> Response:
    body = await read_json_body(request)
    if not isinstance(body, dict):
        raise ValidationFailed(field="body", reason="must be a JSON object")
    generation_request = GenerationRequest(
        format=body.get("format"),  # type: ignore[arg-type]
        input=body.get("input"),  # type: ignore[arg-type]
        options=body.get("options") or {},
        metadata=body.get("metadata"),  # type: ignore[arg-type]
    )
    async with ctx.session() as session:
        row, handle = await begin_generation(
            session, ctx=ctx, request=generation_request
        )
    return StreamingResponse(
        with_keepalive(event_stream(row.id, handle), keepalive_seconds(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
