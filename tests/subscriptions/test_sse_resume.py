"""Server-Sent Events: drop a stream mid-generation and resume it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette

from models.generation import Generation
from tests.factories import make_user
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
