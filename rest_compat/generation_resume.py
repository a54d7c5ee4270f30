"""GET /v1/generate/stream/{generation_id}: resume a generation's SSE stream.

POST /v1/generate/stream gives each chunk's ``progress`` event the chunk's
index as its SSE ``id``. A client that lost the stream sends the last id it
saw as ``Last-Event-ID`` (or ``?last_event_id=``) here and receives the
chunks after it from the generation's log, then the live ones, then the end
event: the same frames, none missing and none twice. Without an id the
stream starts from the first chunk. It works from any server process. A
client too slow to keep up is dropped by the hub: its stream just ends, and
it resumes the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from resolvers import realtime
from resolvers.errors import ValidationFailed
from rest_compat.generation_stream import frame, keepalive_seconds, with_keepalive
from schema.context import bearer_token
from subscriptions.hub import SlowConsumer


def last_event_id(request: Request) -> int:
    """The last chunk index the client saw, or -1 when it names none."""
    raw = request.headers.get("last-event-id") or request.query_params.get(
        "last_event_id"
    )
    if raw is None or raw.strip() == "":
        return -1
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise ValidationFailed(
            field="Last-Event-ID", reason="must be a chunk index (an integer)"
        ) from exc
    if value < -1:
        raise ValidationFailed(field="Last-Event-ID", reason="must be >= -1")
    return value


async def _frames(stream: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    try:
        async for event in stream:
            data = frame(event)
            if data is not None:
                yield data
    except SlowConsumer:
        # Dropped for falling a whole queue behind: the stream ends here and
        # the client comes back with the last id it got as Last-Event-ID.
        return


async def resume_generation_stream(request: Request) -> Response:
    """Replay a generation's stream after ``Last-Event-ID``, then follow it."""
    parts = request.app.state.parts
    ctx = await parts.contexts.build(
        token=bearer_token(request.headers),
        client_ip=request.client.host if request.client else None,
        surface="sse",
    )
    request.state.rc = ctx
    after = last_event_id(request)
    stream = await realtime.follow_generation(
        ctx, generation_id=request.path_params["generation_id"], after=after
    )
    return StreamingResponse(
        with_keepalive(_frames(stream), keepalive_seconds(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
