"""SIGTERM to one of two ``harvest serve`` processes sharing PostgreSQL and
Redis, with generations streaming and a batch running on it:

- every SSE client of the stopping process resumes on the other one with
  ``Last-Event-ID``; the chunks it got from both join into the stored content,
  numbered with no gap and no duplicate;
- every item of a batch whose items were running on the stopping process's
  worker ends completed (finished there within the grace period, or claimed
  by the other process); none is lost;
- the stopping process exits within its grace period.

Generations come from the loopback OpenAI-compatible peer's ``peer-paced``
model, a word every tenth of a second, so they are still running when the
signal lands. The CI pass holds ``STREAMS`` streams; ``HARVEST_LONG=1`` holds
200, as the issue asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from harvest.app import create_app
from harvest.settings import Settings
from models.generation import Generation
from models.job import Job
from resolvers.batches import ITEM_JOB
from tests.conftest import PG_URL, REDIS_URL
from tests.factories import UserHandle, make_user
from tests.peers.openai_server import OpenAIPeer, running_openai_peer
from tests.resilience.test_shutdown_under_load import GRACE_SECONDS, LIMITS
from tests.subscriptions.processes import ServeProcess
from tests.subscriptions.test_sse_resume import sse_events

pytestmark = pytest.mark.skipif(
    PG_URL is None or REDIS_URL is None,
    reason="two processes share generations, chunk logs and jobs only through "
    "PostgreSQL and Redis (SQLite and the in-memory broadcast are per process)",
)

LONG = os.environ.get("HARVEST_LONG") == "1"
STREAMS = 200 if LONG else 20
ITEMS = 40 if LONG else 12  # three rounds of a worker's 4 at once
DEADLINE = 120.0
PACED = {
    "format": "blog",
    "input": "Heat pumps for small offices, explained step by step",
    "options": {"length": "short", "model": "peer-paced"},
}
TERMINAL = ("complete", "error", "cancelled")


@pytest.fixture
def peer() -> Iterator[OpenAIPeer]:
    with running_openai_peer() as running:
        yield running


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    """The test's own view of the database, running no worker: only the two
    processes may claim the batch's jobs."""
    application = create_app(replace(settings, run_workers=False), auto_migrate=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def pair(
    settings: Settings, tmp_path: Path, peer: OpenAIPeer
) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    """Two processes, not yet started."""
    env = {
        "OPENAI_API_KEY": "test-key",
        "OPENAI_BASE_URL": peer.url,
        "HARVEST_OPENAI_MODELS": "peer-paced",
        "HARVEST_RATE_LIMITS": json.dumps({**LIMITS, "pro": LIMITS["free"]}),
        "HARVEST_JOB_LEASE_SECONDS": "3",
    }
    first = ServeProcess(settings, tmp_path / "first", **env)
    second = ServeProcess(settings, tmp_path / "second", **env)
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


@dataclass
class Followed:
    """One client's view of one generation, across both processes."""

    generation_id: str = ""
    chunks: list[tuple[int, str]] = field(default_factory=list)
    end: str = ""
    resumed_chunks: int = 0

    def take(self, event: str, ident: int | None, data: dict[str, Any]) -> None:
        if event == "start":
            self.generation_id = data["generation_id"]
        elif event == "progress":
            assert ident is not None
            self.chunks.append((ident, data["chunk"]))
        elif event in TERMINAL:
            self.end = event


@contextlib.asynccontextmanager
async def opened(http: httpx.AsyncClient) -> AsyncIterator[httpx.Response]:
    """A generation stream, started again after a 503 (a burst of starts can
    outrun the database pool; the envelope's ``Retry-After`` says when)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        async with http.stream("POST", "/v1/generate/stream", json=PACED) as answer:
            if answer.status_code != 503 or time.monotonic() > deadline:
                assert answer.status_code == 200, await answer.aread()
                yield answer
                return
            wait = float(answer.headers.get("retry-after", "1"))
        await asyncio.sleep(min(wait, 2.0))


async def follow(
    first: httpx.AsyncClient,
    second: httpx.AsyncClient,
    going: asyncio.Event,
    signalled: asyncio.Event,
) -> Followed:
    """Stream a generation from the first process; once the signal has been
    sent, hang up there (as a client moved by its balancer would) and resume
    on the second with ``Last-Event-ID``."""
    seen = Followed()
    try:
        async with opened(first) as answer:
            async for event, ident, data in sse_events(answer):
                seen.take(event, ident, data)
                if len(seen.chunks) >= 2 or seen.end:
                    going.set()  # (an early end fails the test below)
                if seen.end or signalled.is_set():
                    break
    except httpx.HTTPError:
        pass  # the stopping process dropped the stream: resume below
    if seen.end:
        return seen
    assert seen.generation_id, "no start event before the signal"
    headers = {"Last-Event-ID": str(seen.chunks[-1][0])} if seen.chunks else {}
    before = len(seen.chunks)
    async with second.stream(
        "GET", f"/v1/generate/stream/{seen.generation_id}", headers=headers
    ) as answer:
        assert answer.status_code == 200, await answer.aread()
        async for event, ident, data in sse_events(answer):
            seen.take(event, ident, data)
            if seen.end:
                break
    seen.resumed_chunks = len(seen.chunks) - before
    return seen


def clients(
    user: UserHandle, first: ServeProcess, second: ServeProcess
) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=STREAMS + 5)
    return tuple(  # type: ignore[return-value]
        httpx.AsyncClient(
            base_url=process.url, headers=user.headers, timeout=60, limits=limits
        )
        for process in (first, second)
    )


def rows_failed(rows: dict[str, Generation]) -> list[tuple[str, Any, Any]]:
    return [
        (row.status, row.error_code, row.error_message)
        for row in rows.values()
        if row.status != "completed"
    ]


async def stored(app: Starlette, generation_ids: list[str]) -> dict[str, Generation]:
    async with app.state.parts.db.session() as session:
        rows = (
            await session.execute(
                select(Generation).where(col(Generation.id).in_(generation_ids))
            )
        ).scalars()
        return {row.id: row for row in rows}


async def all_going_or_one_failed(
    going: list[asyncio.Event], streams: list[asyncio.Task[Followed]]
) -> None:
    """Wait until every stream is under way; a stream that failed first fails
    the test at once, with its own error, instead of at the deadline."""
    ready = asyncio.create_task(
        asyncio.wait_for(asyncio.gather(*(flag.wait() for flag in going)), DEADLINE)
    )
    waiting: set[asyncio.Task[Any]] = {ready, *streams}
    while not ready.done():
        done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not ready:
                task.result()  # raises what the stream met
    ready.result()


def exit_time(process: ServeProcess, signalled_at: float) -> asyncio.Task[float]:
    """Seconds from the signal until ``process`` exits, measured meanwhile."""

    async def wait() -> float:
        await asyncio.to_thread(process.wait, GRACE_SECONDS + 30)
        return time.monotonic() - signalled_at

    return asyncio.create_task(wait())


async def test_sse_clients_resume_on_the_other_process_with_no_gap_or_duplicate(
    app: Starlette, pair: tuple[ServeProcess, ServeProcess]
) -> None:
    first, second = pair
    await asyncio.gather(
        asyncio.to_thread(first.start), asyncio.to_thread(second.start)
    )
    user = await make_user(app)
    on_first, on_second = clients(user, first, second)
    signalled = asyncio.Event()
    going = [asyncio.Event() for _ in range(STREAMS)]
    async with on_first, on_second:
        streams = [
            asyncio.create_task(follow(on_first, on_second, flag, signalled))
            for flag in going
        ]
        await all_going_or_one_failed(going, streams)
        signalled_at = time.monotonic()
        first.terminate()
        exited = exit_time(first, signalled_at)
        signalled.set()
        followed = await asyncio.wait_for(asyncio.gather(*streams), DEADLINE)
    exited_after = await exited

    rows = await stored(app, [f.generation_id for f in followed])
    ends = sorted(f.end for f in followed)
    assert ends == ["complete"] * STREAMS, rows_failed(rows)
    for seen in followed:
        row = rows[seen.generation_id]
        assert [i for i, _ in seen.chunks] == list(range(len(seen.chunks)))
        assert "".join(text for _, text in seen.chunks) == row.content
        assert row.status == "completed"
    # Most streams were still running when they moved: the other process
    # served them live, not only from the log of a finished generation.
    assert sum(1 for f in followed if f.resumed_chunks > 0) > 0
    assert exited_after < GRACE_SECONDS


async def running_on(app: Starlette, process: ServeProcess) -> bool:
    """True when a batch item job (this test's only batch) runs on ``process``."""
    assert process.process is not None
    marker = f":{process.process.pid}:"
    async with app.state.parts.db.session() as session:
        rows = (
            await session.execute(select(Job).where(col(Job.kind) == ITEM_JOB))
        ).scalars()
        return any(
            row.status == "running" and marker in (row.locked_by or "") for row in rows
        )


async def start_batch(
    app: Starlette, first: ServeProcess, second: ServeProcess
) -> tuple[UserHandle, list[str], str]:
    """A batch created on the first process (the only one running), once one
    of its items runs there: (owner, item ids, batch id)."""
    await asyncio.to_thread(first.start)
    user = await make_user(app, tier="pro")
    ids = [f"item_{n}" for n in range(ITEMS)]
    async with httpx.AsyncClient(
        base_url=first.url, headers=user.headers, timeout=60
    ) as http:
        created = await http.post(
            "/v1/generate/batch", json={"batch": [{"id": i, **PACED} for i in ids]}
        )
    assert created.status_code == 202, created.text
    deadline = time.monotonic() + DEADLINE
    while not await running_on(app, first):
        assert time.monotonic() < deadline, "no item ran on the first process"
        await asyncio.sleep(0.05)
    return user, ids, str(created.json()["batch_id"])


async def batch_end(process: ServeProcess, user: UserHandle, batch_id: str) -> Any:
    """The batch as ``process`` reports it once it is no longer processing."""
    deadline = time.monotonic() + DEADLINE
    async with httpx.AsyncClient(
        base_url=process.url, headers=user.headers, timeout=60
    ) as http:
        while True:
            batch = (await http.get(f"/v1/generate/batch/{batch_id}")).json()
            if batch["status"] != "processing":
                return batch
            assert time.monotonic() < deadline, batch
            await asyncio.sleep(0.2)


async def assert_every_item_completed(
    app: Starlette, batch: Any, ids: list[str]
) -> None:
    assert batch["status"] == "completed", batch
    assert [i["id"] for i in batch["items"]] == ids
    assert [i["status"] for i in batch["items"]] == ["completed"] * len(ids)
    rows = await stored(app, [i["generation_id"] for i in batch["items"]])
    assert sorted(row.status for row in rows.values()) == ["completed"] * len(ids)


async def test_no_batch_item_is_lost_when_the_process_running_it_stops(
    app: Starlette, pair: tuple[ServeProcess, ServeProcess]
) -> None:
    first, second = pair
    user, ids, batch_id = await start_batch(app, first, second)
    async with connect(f"{first.ws_url}/v1?token={user.token}") as socket:
        await socket.recv()
        signalled_at = time.monotonic()
        first.terminate()
        exited = exit_time(first, signalled_at)
        # Its 1001 comes once the stopping process has stopped claiming jobs.
        assert await closed_with(socket) == 1001
    held = await jobs_of(app, first)
    await asyncio.to_thread(second.start)

    batch = await batch_end(second, user, batch_id)
    exited_after = await exited

    await assert_every_item_completed(app, batch, ids)
    # What was queued at the signal ran on the other process.
    assert await jobs_of(app, first) <= held
    assert exited_after < GRACE_SECONDS


async def jobs_of(app: Starlette, process: ServeProcess) -> set[str]:
    """The batch item jobs ``process`` claimed (running or done)."""
    assert process.process is not None
    marker = f":{process.process.pid}:"
    async with app.state.parts.db.session() as session:
        rows = (
            await session.execute(select(Job).where(col(Job.kind) == ITEM_JOB))
        ).scalars()
        return {row.id for row in rows if marker in (row.locked_by or "")}


async def closed_with(socket: ClientConnection) -> int | None:
    try:
        while True:
            await asyncio.wait_for(socket.recv(), DEADLINE)
    except ConnectionClosed:
        return socket.close_code


async def test_batch_items_of_a_killed_process_are_run_again_by_the_other(
    app: Starlette, pair: tuple[ServeProcess, ServeProcess]
) -> None:
    """Past its grace period (or killed), a process leaves its running items
    behind: their jobs' leases lapse and the other process runs them again."""
    first, second = pair
    user, ids, batch_id = await start_batch(app, first, second)
    assert first.process is not None
    first.process.kill()
    await asyncio.to_thread(first.wait, 30)
    await asyncio.to_thread(second.start)

    batch = await batch_end(second, user, batch_id)

    await assert_every_item_completed(app, batch, ids)
    async with app.state.parts.db.session() as session:
        jobs = (
            await session.execute(select(Job).where(col(Job.kind) == ITEM_JOB))
        ).scalars()
        assert max(job.attempts for job in jobs) >= 2
