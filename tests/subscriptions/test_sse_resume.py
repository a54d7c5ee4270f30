"""Server-Sent Events: drop a stream mid-generation and resume it."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette

from models.generation import Generation
from tests.factories import make_user
from tests.subscriptions.factories import in_server, make_generation
from tests.subscriptions.wire import BLOG
from tests.support import LiveServer


async def sse_events(
    response: httpx.Response,
) -> AsyncIterator[tuple[str, int | None, dict[str, Any]]]:
    """(event, id, data) for each event of a streaming response."""
    event, ident, data = "message", None, ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("id: "):
            ident = int(line[4:])
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            yield event, ident, orjson.loads(data)
            event, ident, data = "message", None, ""


async def test_dropped_sse_stream_resumes_from_last_event_id(
    app: Starlette, slow_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")
    chunks: list[tuple[int, str]] = []
    async with httpx.AsyncClient(base_url=slow_server.url, timeout=20) as client:
        async with client.stream(
            "POST", "/v1/generate/stream", json=BLOG, headers=user.headers
        ) as response:
            assert response.status_code == 200
            async for event, ident, data in sse_events(response):
                if event == "start":
                    generation_id = data["generation_id"]
                elif event == "progress":
                    assert ident is not None
                    chunks.append((ident, data["chunk"]))
                    if len(chunks) == 4:
                        break

        async with client.stream(
            "GET",
            f"/v1/generate/stream/{generation_id}",
            headers={**user.headers, "Last-Event-ID": str(chunks[-1][0])},
        ) as response:
            assert response.status_code == 200
            async for event, ident, data in sse_events(response):
                if event == "progress":
                    assert ident is not None
                    chunks.append((ident, data["chunk"]))
                elif event in ("complete", "error", "cancelled"):
                    end = event
                    break

    assert end == "complete"
    assert [i for i, _ in chunks] == list(range(len(chunks)))
    async with app.state.parts.db.session() as session:
        row = await session.get(Generation, generation_id)
    assert row is not None
    assert "".join(text for _, text in chunks) == row.content


async def test_resume_of_another_users_generation_is_not_found(
    app: Starlette, live_server: LiveServer
) -> None:
    owner = await make_user(app, tier="pro")
    stranger = await make_user(app)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        started = await client.post("/v1/generate", json=BLOG, headers=owner.headers)
        assert started.status_code == 200, started.text
        generation_id = started.json()["generation"]["id"]

        response = await client.get(
            f"/v1/generate/stream/{generation_id}", headers=stranger.headers
        )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_resume_with_a_malformed_last_event_id_is_a_validation_error(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        response = await client.get(
            "/v1/generate/stream/gen_x",
            headers={**user.headers, "Last-Event-ID": "seven"},
        )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "Last-Event-ID"


async def test_slow_sse_client_is_dropped_then_resumes_without_gap_or_duplicate(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")
    generation_id = await make_generation(app, user)
    parts = live_server.app.state.parts
    channel = f"generation:{generation_id}"
    # Incompressible chunks, a queue's worth more than the socket can hold.
    texts = [
        base64.b64encode(os.urandom(3 * 1024)).decode()
        for _ in range(parts.hub.queue_size + 1_200)
    ]

    async def publish_all() -> None:
        for index, text in enumerate(texts):
            await parts.hub.publish(
                channel,
                {
                    "type": "generation_chunk",
                    "generation_id": generation_id,
                    "chunk": text,
                    "chunk_index": index,
                    "tokens": 1,
                },
            )
            await asyncio.sleep(0)  # as a runner does between chunks
        await parts.hub.publish(
            channel,
            {
                "type": "generation_complete",
                "generation_id": generation_id,
                "content": "".join(texts),
                "tokens_used": len(texts),
                "processing_time_ms": 1,
                "word_count": 1,
                "version": 1,
            },
        )

    chunks: list[tuple[int, str]] = []
    ends = []
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        async with client.stream(
            "GET", f"/v1/generate/stream/{generation_id}", headers=user.headers
        ) as response:
            while parts.hub.listener_count(channel) < 1:
                await asyncio.sleep(0.01)
            await in_server(live_server, publish_all())
            async for event, ident, data in sse_events(response):
                assert event == "progress" and ident is not None
                chunks.append((ident, data["chunk"]))
        dropped_after = len(chunks)
        # On a loaded machine the client can be dropped before its first
        # chunk; it then resumes from the start, as a client that saw nothing.
        seen = {"Last-Event-ID": str(chunks[-1][0])} if chunks else {}

        async with client.stream(
            "GET",
            f"/v1/generate/stream/{generation_id}",
            headers={**user.headers, **seen},
        ) as response:
            async for event, ident, data in sse_events(response):
                if event == "progress":
                    assert ident is not None
                    chunks.append((ident, data["chunk"]))
                else:
                    ends.append(event)

    assert dropped_after < len(texts) - parts.hub.queue_size
    assert [i for i, _ in chunks] == list(range(len(texts)))
    assert "".join(text for _, text in chunks) == "".join(texts)
    assert ends == ["complete"]
