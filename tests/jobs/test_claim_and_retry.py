"""Durable jobs: one claimer per job, leases that expire, retries with backoff,
and a final failure after the last attempt."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from harvest.worker import Worker
from models.db import Database
from models.job import Job
from resolvers import jobs
from resolvers.context import RequestContext
from schema.context import ContextFactory

RUNS: Counter[str] = Counter()
FLAKY_FAILURES = 2


@jobs.job_handler("test.record")
async def record(
    session: AsyncSession, ctx: RequestContext, payload: dict[str, Any]
) -> None:
    RUNS[payload["n"]] += 1
    await asyncio.sleep(0.01)


@jobs.job_handler("test.flaky")
async def flaky(
    session: AsyncSession, ctx: RequestContext, payload: dict[str, Any]
) -> None:
    RUNS[payload["n"]] += 1
    if RUNS[payload["n"]] <= FLAKY_FAILURES:
        raise jobs.RetryLater("not yet", delay=timedelta(milliseconds=50))


@jobs.job_handler("test.broken")
async def broken(
    session: AsyncSession, ctx: RequestContext, payload: dict[str, Any]
) -> None:
    RUNS[payload["n"]] += 1
    raise jobs.RetryLater("receiver down", delay=timedelta(milliseconds=10))


async def enqueue(app: Starlette, kind: str, count: int, **options: Any) -> list[str]:
    async with app.state.parts.db.session() as session:
        rows = [
            jobs.enqueue_job(
                session, kind=kind, payload={"n": f"{kind}:{i}"}, **options
            )
            for i in range(count)
        ]
        await session.commit()
        return [row.id for row in rows]


async def load(app: Starlette, job_id: str) -> Job:
    async with app.state.parts.db.session() as session:
        job: Job | None = await session.get(Job, job_id)
        assert job is not None
        return job


async def run_workers_until(
    app: Starlette, done: Any, *, workers: int = 1, timeout: float = 20
) -> None:
    """Run ``workers`` workers, each with its own engine, until ``done()``."""
    parts = app.state.parts
    databases = [Database(parts.settings.database_url) for _ in range(workers)]
    running = [
        Worker(
            ContextFactory(db=db, services=parts.services, config=parts.config),
            poll_seconds=0.02,
        )
        for db in databases
    ]
    tasks = [asyncio.create_task(w.run()) for w in running]
    deadline = time.monotonic() + timeout
    try:
        while not await done():
            assert time.monotonic() < deadline, "workers did not finish in time"
            await asyncio.sleep(0.05)
    finally:
        for worker in running:
            await worker.stop(grace_seconds=5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for db in databases:
            await db.dispose()


async def statuses(app: Starlette, ids: list[str]) -> Counter[str]:
    return Counter([(await load(app, i)).status for i in ids])


async def test_each_job_is_claimed_by_exactly_one_of_several_claimers(
    app: Starlette,
) -> None:
    ids = await enqueue(app, "test.record", 40)
    url = app.state.parts.settings.database_url
    databases = [Database(url) for _ in range(6)]

    async def claimer(db: Database, name: str) -> list[str]:
        mine: list[str] = []
        while True:
            async with db.session() as session:
                claimed = await jobs.claim_jobs(
                    session, worker_id=name, lease=timedelta(minutes=5), limit=3
                )
            if not claimed:
                return mine
            mine.extend(job.id for job in claimed)

    try:
        results = await asyncio.gather(
            *(claimer(db, f"w{i}") for i, db in enumerate(databases))
        )
    finally:
        for db in databases:
            await db.dispose()

    claimed = [job_id for result in results for job_id in result]
    assert sorted(claimed) == sorted(ids)
    assert len(claimed) == len(set(claimed))


async def test_several_workers_run_each_job_once(app: Starlette) -> None:
    ids = await enqueue(app, "test.record", 30)

    async def all_done() -> bool:
        return (await statuses(app, ids))["succeeded"] == len(ids)

    await run_workers_until(app, all_done, workers=4)

    assert all(RUNS[f"test.record:{i}"] == 1 for i in range(30))


async def test_a_failed_attempt_waits_its_backoff(app: Starlette) -> None:
    [job_id] = await enqueue(app, "test.record", 1)
    async with app.state.parts.db.session() as session:
        [job] = await jobs.claim_jobs(
            session, worker_id="a", lease=timedelta(seconds=30)
        )
        await jobs.fail_job(session, job=job, worker_id="a", error="boom")
        again = await jobs.claim_jobs(
            session, worker_id="b", lease=timedelta(seconds=30)
        )

    stored = await load(app, job_id)
    assert again == []
    assert stored.status == "queued"
    assert stored.attempts == 1
    assert stored.last_error == "boom"
    wait = stored.run_at.replace(tzinfo=None) - stored.updated_at.replace(tzinfo=None)
    assert wait == jobs.backoff(1) == timedelta(seconds=2)
    assert jobs.backoff(3) == timedelta(seconds=8)
    assert jobs.backoff(20) == timedelta(seconds=jobs.MAX_BACKOFF_SECONDS)


async def test_a_job_that_fails_twice_is_retried_and_succeeds(app: Starlette) -> None:
    [job_id] = await enqueue(app, "test.flaky", 1)

    async def done() -> bool:
        return (await load(app, job_id)).status == "succeeded"

    await run_workers_until(app, done)

    stored = await load(app, job_id)
    assert stored.attempts == FLAKY_FAILURES + 1
    assert RUNS["test.flaky:0"] == FLAKY_FAILURES + 1


async def test_a_job_fails_for_good_after_its_last_attempt(app: Starlette) -> None:
    [job_id] = await enqueue(app, "test.broken", 1, max_attempts=3)

    async def done() -> bool:
        return (await load(app, job_id)).status == "failed"

    await run_workers_until(app, done)
    await asyncio.sleep(0.2)

    stored = await load(app, job_id)
    assert stored.attempts == 3
    assert RUNS["test.broken:0"] == 3
    assert stored.last_error == "RetryLater: receiver down"


async def test_a_lease_that_is_not_renewed_lets_another_worker_take_the_job(
    app: Starlette,
) -> None:
    [job_id] = await enqueue(app, "test.record", 1)
    short = timedelta(milliseconds=200)
    async with app.state.parts.db.session() as session:
        [taken] = await jobs.claim_jobs(session, worker_id="dead", lease=short)
        await asyncio.sleep(0.3)
        [retaken] = await jobs.claim_jobs(session, worker_id="alive", lease=short)
        await jobs.finish_job(session, job_id=job_id, worker_id="dead")
        still_running = await load(app, job_id)
        renewed = await jobs.renew_lease(
            session, job_id=job_id, worker_id="dead", lease=short
        )
        await jobs.finish_job(session, job_id=job_id, worker_id="alive")

    stored = await load(app, job_id)
    assert taken.id == retaken.id == job_id
    assert retaken.attempts == 2
    assert still_running.status == "running"
    assert still_running.locked_by == "alive"
    assert renewed is False
    assert stored.status == "succeeded"


async def test_a_lease_expiring_on_the_last_attempt_fails_the_job(
    app: Starlette,
) -> None:
    [job_id] = await enqueue(app, "test.record", 1, max_attempts=1)
    short = timedelta(milliseconds=100)
    async with app.state.parts.db.session() as session:
        await jobs.claim_jobs(session, worker_id="dead", lease=short)
        await asyncio.sleep(0.2)
        again = await jobs.claim_jobs(session, worker_id="alive", lease=short)

    stored = await load(app, job_id)
    assert again == []
    assert stored.status == "failed"
    assert stored.last_error == jobs.LEASE_LOST_ERROR


@pytest.mark.parametrize("kind", ["test.unknown-kind"])
async def test_a_job_of_an_unknown_kind_is_retried_not_dropped(
    app: Starlette, kind: str
) -> None:
    [job_id] = await enqueue(app, kind, 1)

    async def tried() -> bool:
        job = await load(app, job_id)
        return job.attempts >= 1 and job.status != "running"

    await run_workers_until(app, tried)

    stored = await load(app, job_id)
    assert stored.status == "queued"
    assert "no handler" in (stored.last_error or "")
