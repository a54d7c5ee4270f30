"""The runner: the row comes first, every chunk is published on the
generation's channel, version 1 is stored with its figures, and a client that
goes away loses nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from models.generation import Generation, GenerationVersion
from resolvers.generation import GenerationRequest, start_generation
from resolvers.generation_runner import launch_generation
from subscriptions import channels, events
from tests.factories import make_user
from tests.peers.openai_server import (
    ANSWER,
    COMPLETION_TOKENS,
    PROMPT_TOKENS,
    OpenAIPeer,
)
from tests.support import LiveServer


async def load(app: Starlette, generation_id: str) -> Generation | None:
    async with app.state.parts.db.session() as session:
        return await session.get(Generation, generation_id)


async def stored_versions(app: Starlette, generation_id: str) -> list[Any]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(GenerationVersion).where(
                GenerationVersion.generation_id == generation_id
            )
        )
        return list(rows.scalars())


async def test_row_is_stored_before_the_model_call_and_chunks_reach_the_channel(
    peer_app: Starlette, openai_peer: OpenAIPeer
) -> None:
    parts = peer_app.state.parts
    user = await make_user(peer_app, tier="pro")
    ctx = await parts.contexts.build(token=user.token, client_ip=None, surface="rest")
    request = GenerationRequest(
        format="blog", input="Energy", options={"model": "peer-echo"}
    )

    async with parts.db.session() as session:
        row = await start_generation(session, ctx=ctx, request=request, launch=False)
    queued = await load(peer_app, row.id)
    assert queued is not None and queued.status == "queued"
    assert openai_peer.requests == []

    received: list[dict[str, Any]] = []
    async with parts.hub.subscribe(channels.generation(row.id)) as subscription:
        launch_generation(ctx, row.id)
        async with asyncio.timeout(10):
            async for message in subscription:
                received.append(message)
                if events.is_terminal(message):
                    break

    kinds = [m["type"] for m in received]
    assert kinds[0] == events.STARTED
    assert kinds[-1] == events.COMPLETE
    chunks = [m for m in received if m["type"] == events.CHUNK]
    assert [m["chunk_index"] for m in chunks] == list(range(len(chunks)))
    assert len(chunks) == len(ANSWER.split(" "))
    assert "".join(m["chunk"] for m in chunks) == ANSWER
    done = await load(peer_app, row.id)
    assert done is not None and done.status == "completed"
    assert done.content == ANSWER
    assert done.word_count == len(ANSWER.split())
    assert done.tokens_used == PROMPT_TOKENS + COMPLETION_TOKENS
    assert done.processing_time_ms > 0
    [version] = await stored_versions(peer_app, row.id)
    assert (version.version, version.content, version.source) == (
        1,
        ANSWER,
        "generated",
    )


async def stored_rows(app: Starlette, user_id: str) -> list[Generation]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(Generation).where(Generation.user_id == user_id)
        )
        return list(rows.scalars())


async def test_client_that_gives_up_on_generate_still_gets_it_stored(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")
    body = {"format": "blog", "input": "Tidal power", "options": {"length": "long"}}

    # The client hangs up once the server holds the row, however slow the
    # machine is: not after a fixed delay, which on a loaded machine can come
    # before the server has even read the body.
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        request = asyncio.create_task(
            client.post("/v1/generate", json=body, headers=user.headers)
        )
        async with asyncio.timeout(20):
            while not (rows := await stored_rows(app, user.id)):
                assert not request.done(), "the generation finished before the hang-up"
                await asyncio.sleep(0.02)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request

    [row] = rows
    assert row.status in ("queued", "running")
    for _ in range(300):
        done = await load(app, row.id)
        assert done is not None
        if done.status == "completed":
            break
        await asyncio.sleep(0.1)
    assert done.status == "completed"
    assert done.word_count > 500
    [version] = await stored_versions(app, row.id)
    assert version.content == done.content
