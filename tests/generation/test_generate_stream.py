"""POST /v1/generate/stream over a real socket: event order, chunks that join
into the stored content, and a client that drops mid-stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from sqlmodel import select
from starlette.applications import Starlette

from models.generation import Generation, GenerationVersion
from tests.factories import make_user
from tests.peers.openai_server import OpenAIPeer
from tests.support import LiveServer

BLOG = {"format": "blog", "input": "The future of renewable energy"}


@contextlib.asynccontextmanager
async def post_stream(
    base_url: str, body: dict[str, Any], headers: dict[str, str]
) -> AsyncIterator[httpx.Response]:
    """POST /v1/generate/stream on a live server; the response, unread."""
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
        client.stream(
            "POST", "/v1/generate/stream", json=body, headers=headers
        ) as response,
    ):
        yield response


async def sse_events(
    response: httpx.Response,
) -> AsyncIterator[tuple[str, int | None, dict[str, Any]]]:
    """(event, id, data) for each Server-Sent Event of a streaming response."""
    event, ident, data = "message", None, ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("id: "):
            ident = int(line[len("id: ") :])
        elif line.startswith("data: "):
            data = line[len("data: ") :]
        elif line == "" and data:
            yield event, ident, orjson.loads(data)
            event, ident, data = "message", None, ""


async def load(app: Starlette, generation_id: str) -> Generation | None:
    async with app.state.parts.db.session() as session:
        return await session.get(Generation, generation_id)


async def test_stream_sends_start_progress_complete_and_chunks_join_to_content(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")
    seen: list[tuple[str, int | None, dict[str, Any]]] = []

    async with post_stream(
        live_server.url, BLOG, {**user.headers, "Accept": "text/event-stream"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for item in sse_events(response):
            seen.append(item)

    kinds = [event for event, _, _ in seen]
    assert kinds[0] == "start"
    assert kinds[-1] == "complete"
    assert set(kinds[1:-1]) == {"progress"}
    progress = [(ident, data) for event, ident, data in seen if event == "progress"]
    assert [ident for ident, _ in progress] == list(range(len(progress)))
    assert all(data["tokens"] > 0 for _, data in progress)
    generation_id = seen[0][2]["generation_id"]
    row = await load(app, generation_id)
    assert row is not None and row.status == "completed"
    assert "".join(data["chunk"] for _, data in progress) == row.content
    assert seen[-1][2]["total_tokens"] == row.tokens_used
    assert seen[-1][2]["word_count"] == row.word_count


async def test_dropped_connection_still_completes_and_stores_the_generation(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")
    received = 0

    async with post_stream(
        live_server.url, {**BLOG, "options": {"length": "long"}}, user.headers
    ) as response:
        async for event, _, data in sse_events(response):
            if event == "start":
                generation_id = data["generation_id"]
            elif event == "progress":
                received += 1
                if received == 3:
                    break
    row = await load(app, generation_id)
    assert row is not None and row.status == "running"

    for _ in range(300):
        row = await load(app, generation_id)
        assert row is not None
        if row.status == "completed":
            break
        await asyncio.sleep(0.1)

    assert row.status == "completed"
    assert row.word_count > 500
    async with app.state.parts.db.session() as session:
        versions = await session.execute(
            select(GenerationVersion).where(
                GenerationVersion.generation_id == generation_id
            )
        )
        [version] = versions.scalars()
    assert version.version == 1
    assert version.content == row.content


async def test_stream_ends_with_an_error_event_when_the_provider_fails(
    app: Starlette, openai_peer: OpenAIPeer
) -> None:
    server = LiveServer(
        app.state.settings.with_overrides(
            openai_api_key="test-key",
            openai_base_url=openai_peer.url,
            openai_models=("peer-error",),
            default_model="offline-writer",
        )
    )
    server.start()
    user = await make_user(app, tier="pro")
    try:
        async with post_stream(
            server.url, {**BLOG, "options": {"model": "peer-error"}}, user.headers
        ) as response:
            seen = [item async for item in sse_events(response)]
    finally:
        server.stop()

    assert [event for event, _, _ in seen] == ["start", "error"]
    assert seen[1][2]["code"] == "SERVICE_UNAVAILABLE"
    row = await load(app, seen[0][2]["generation_id"])
    assert row is not None and row.status == "failed"


async def test_stream_refuses_bad_input_before_streaming(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/v1/generate/stream",
        json={"format": "poem", "input": "x"},
        headers=user.headers,
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "format"


async def test_stream_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/generate/stream", json=BLOG)

    assert response.status_code == 401
