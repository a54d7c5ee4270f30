"""Two ``harvest serve`` processes sharing PostgreSQL and Redis: a stream
started on one is followed on the other, and cancelled from the other."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from harvest.settings import Settings
from models.generation import Generation
from tests.factories import make_user
from tests.subscriptions.processes import ServeProcess
from tests.subscriptions.wire import BLOG, receive, send, until

pytestmark = pytest.mark.skipif(
    not (
        os.environ.get("HARVEST_TEST_DATABASE_URL")
        and os.environ.get("HARVEST_TEST_REDIS_URL")
    ),
    reason="needs HARVEST_TEST_DATABASE_URL and HARVEST_TEST_REDIS_URL",
)


@pytest.fixture
def pair(settings: Settings, tmp_path: Path) -> Iterator[tuple[ServeProcess, ...]]:
    processes = tuple(
        ServeProcess(
            settings, tmp_path / name, HARVEST_OFFLINE_WRITER_DELAY_SECONDS="0.03"
        )
        for name in ("first", "second")
    )
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.stop()


async def test_subscriber_on_one_process_receives_every_chunk_started_on_another(
    app: Starlette, pair: tuple[ServeProcess, ServeProcess]
) -> None:
    first, second = pair
    user = await make_user(app, tier="pro")

    async with (
        connect(f"{first.ws_url}/v1?token={user.token}") as watcher,
        connect(f"{second.ws_url}/v1?token={user.token}") as starter,
    ):
        await receive(watcher)
        await receive(starter)
        await send(
            starter, {"type": "generation_start", "request_id": "r", "data": BLOG}
        )
        generation_id = (await until(starter, "generation_chunk"))[-1]["generation_id"]
        await send(
            watcher,
            {
                "type": "subscribe",
                "channel": "generation",
                "generation_id": generation_id,
            },
        )
        assert (await receive(watcher))["type"] == "subscribed"
        frames = await until(watcher, "generation_complete", "generation_error")

    chunks = [f for f in frames if f["type"] == "generation_chunk"]
    assert frames[-1]["type"] == "generation_complete"
    assert [c["chunk_index"] for c in chunks] == list(range(len(chunks)))
    async with app.state.parts.db.session() as session:
        row = await session.get(Generation, generation_id)
    assert row is not None
    assert "".join(c["chunk"] for c in chunks) == row.content


async def test_cancel_sent_to_one_process_stops_the_runner_on_another(
    app: Starlette, pair: tuple[ServeProcess, ServeProcess]
) -> None:
    first, second = pair
    user = await make_user(app, tier="pro")

    async with (
        connect(f"{first.ws_url}/v1?token={user.token}") as canceller,
        connect(f"{second.ws_url}/v1?token={user.token}") as starter,
    ):
        await receive(canceller)
        await receive(starter)
        await send(
            starter, {"type": "generation_start", "request_id": "r", "data": BLOG}
        )
        generation_id = (await until(starter, "generation_chunk"))[-1]["generation_id"]
        await send(
            canceller, {"type": "generation_cancel", "generation_id": generation_id}
        )
        frames = await until(starter, "generation_cancelled", "generation_complete")

    assert frames[-1]["type"] == "generation_cancelled"
    async with app.state.parts.db.session() as session:
        row = await session.get(Generation, generation_id)
    assert row is not None
    assert row.status == "cancelled"
