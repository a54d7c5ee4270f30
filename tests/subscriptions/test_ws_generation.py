"""Generations over the spec's WebSocket: start, stream, cancel, follow, resume."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from websockets.asyncio.client import connect

from models.generation import Generation
from tests.factories import make_user
from tests.subscriptions.factories import in_server, make_api_key, make_generation
from tests.subscriptions.wire import BLOG, receive, send, until
from tests.support import LiveServer


async def stored(app: Starlette, generation_id: str) -> Generation:
    async with app.state.parts.db.session() as session:
        row = await session.get(Generation, generation_id)
    assert row is not None
    return row


async def test_generation_start_streams_progress_chunks_and_complete(
    app: Starlette, slow_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")

    async with connect(f"{slow_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(
            ws, {"type": "generation_start", "request_id": "req_1", "data": BLOG}
        )
        frames = await until(ws, "generation_complete", "generation_error")

    chunks = [f for f in frames if f["type"] == "generation_chunk"]
    complete = frames[-1]
    assert complete["type"] == "generation_complete"
    assert [c["chunk_index"] for c in chunks] == list(range(len(chunks)))
    progress = [f for f in frames if f["type"] == "generation_progress"]
    assert progress
    assert all(0 <= f["progress"] <= 100 for f in progress)
    assert all(isinstance(f["estimated_remaining_seconds"], int) for f in progress)
    assert all(f["request_id"] == "req_1" for f in frames)
    assert all(isinstance(c["tokens"], int) for c in chunks)
    row = await stored(app, complete["generation_id"])
    assert "".join(c["chunk"] for c in chunks) == complete["content"] == row.content
    assert complete["tokens_used"] == row.tokens_used
    assert isinstance(complete["processing_time_ms"], int)


async def test_generation_start_with_bad_data_answers_generation_error(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(
            ws,
            {
                "type": "generation_start",
                "request_id": "req_bad",
                "data": {"format": "sonnet", "input": "x"},
            },
        )
        frame = await receive(ws)

    assert frame["type"] == "generation_error"
    assert frame["request_id"] == "req_bad"
    assert frame["error"]["code"] == "VALIDATION_ERROR"
    assert frame["error"]["details"]["field"] == "format"


async def test_read_only_api_key_cannot_start_or_cancel(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)
    key = await make_api_key(app, user, permissions=["read"])

    async with connect(f"{live_server.ws_url}/v1?token={key}") as ws:
        await receive(ws)
        await send(ws, {"type": "generation_start", "request_id": "r", "data": BLOG})
        start = await receive(ws)
        await send(ws, {"type": "generation_cancel", "generation_id": "gen_any"})
        cancel = await receive(ws)

    assert start["type"] == "generation_error"
    assert start["error"]["code"] == "FORBIDDEN"
    assert cancel["type"] == "generation_error"
    assert cancel["error"]["code"] == "FORBIDDEN"


async def test_generation_cancel_stops_a_running_generation(
    app: Starlette, slow_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")

    async with connect(f"{slow_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(ws, {"type": "generation_start", "request_id": "r", "data": BLOG})
        first = await until(ws, "generation_chunk")
        generation_id = first[-1]["generation_id"]
        await send(ws, {"type": "generation_cancel", "generation_id": generation_id})
        frames = await until(ws, "generation_cancelled", "generation_complete")

    assert frames[-1]["type"] == "generation_cancelled"
    assert (await stored(app, generation_id)).status == "cancelled"


async def test_following_another_users_generation_is_refused(
    app: Starlette, slow_server: LiveServer
) -> None:
    owner = await make_user(app, tier="pro")
    stranger = await make_user(app)
    async with connect(f"{slow_server.ws_url}/v1?token={owner.token}") as ws:
        await receive(ws)
        await send(ws, {"type": "generation_start", "request_id": "r", "data": BLOG})
        generation_id = (await until(ws, "generation_chunk"))[-1]["generation_id"]

    async with connect(f"{slow_server.ws_url}/v1?token={stranger.token}") as ws:
        await receive(ws)
        await send(
            ws,
            {
                "type": "subscribe",
                "channel": "generation",
                "generation_id": generation_id,
            },
        )
        frame = await receive(ws)

    assert frame["type"] == "error"
    assert frame["error"]["code"] == "NOT_FOUND"


async def test_dropped_websocket_stream_resumes_without_gap_or_duplicate(
    app: Starlette, slow_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")
    url = f"{slow_server.ws_url}/v1?token={user.token}"
    async with connect(url) as ws:
        await receive(ws)
        await send(ws, {"type": "generation_start", "request_id": "r", "data": BLOG})
        before = [f for f in await until(ws, "generation_chunk") if "chunk_index" in f]
        while len(before) < 5:
            frame = await receive(ws)
            if frame["type"] == "generation_chunk":
                before.append(frame)
    generation_id = before[0]["generation_id"]
    await asyncio.sleep(0.3)

    async with connect(url) as ws:
        await receive(ws)
        await send(
            ws,
            {
                "type": "subscribe",
                "channel": "generation",
                "generation_id": generation_id,
                "last_chunk_index": before[-1]["chunk_index"],
            },
        )
        assert (await receive(ws))["type"] == "subscribed"
        after = await until(ws, "generation_complete", "generation_error")

    chunks = before + [f for f in after if f["type"] == "generation_chunk"]
    assert [c["chunk_index"] for c in chunks] == list(range(len(chunks)))
    row = await stored(app, generation_id)
    assert "".join(c["chunk"] for c in chunks) == row.content
    assert after[-1]["content"] == row.content


async def test_following_a_finished_generation_replays_it_to_the_end(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")
    url = f"{live_server.ws_url}/v1?token={user.token}"
    async with connect(url) as ws:
        await receive(ws)
        await send(ws, {"type": "generation_start", "request_id": "r", "data": BLOG})
        done = (await until(ws, "generation_complete"))[-1]

    async with connect(url) as ws:
        await receive(ws)
        await send(
            ws,
            {
                "type": "subscribe",
                "channel": "generation",
                "generation_id": done["generation_id"],
                "last_chunk_index": 2,
            },
        )
        await receive(ws)
        frames = await until(ws, "generation_complete")

    chunks = [f for f in frames if f["type"] == "generation_chunk"]
    assert chunks[0]["chunk_index"] == 3
    assert frames[-1]["content"] == done["content"]
    assert done["content"].endswith("".join(c["chunk"] for c in chunks))


async def test_following_a_failed_generation_ends_with_generation_error(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)
    generation_id = await make_generation(
        app,
        user,
        status="failed",
        error_code="TIMEOUT",
        error_message="The model did not answer in time",
    )

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(
            ws,
            {
                "type": "subscribe",
                "channel": "generation",
                "generation_id": generation_id,
            },
        )
        assert (await receive(ws))["type"] == "subscribed"
        frame = await receive(ws)

    assert frame == {
        "type": "generation_error",
        "generation_id": generation_id,
        "error": {"code": "TIMEOUT", "message": "The model did not answer in time"},
    }


async def test_unsubscribe_stops_the_subscriptions_events(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)
    hub = live_server.app.state.parts.hub
    channel = f"user:{user.id}:generations"

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await receive(ws)
        await send(ws, {"type": "subscribe", "channel": "generations"})
        subscription_id = (await receive(ws))["subscription_id"]
        await send(ws, {"type": "unsubscribe", "subscription_id": subscription_id})
        unsubscribed = await receive(ws)
        while hub.listener_count(channel):
            await asyncio.sleep(0.01)
        await in_server(
            live_server,
            hub.publish(channel, {"type": "generation_complete", "generation_id": "g"}),
        )
        await send(ws, {"type": "ping"})
        after = await receive(ws)

    assert unsubscribed == {"type": "unsubscribed", "subscription_id": subscription_id}
    assert after["type"] == "pong"
