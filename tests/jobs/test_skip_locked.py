"""On PostgreSQL a claim skips rows another transaction holds instead of
waiting for them (``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest
from starlette.applications import Starlette

from resolvers import jobs
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(
    PG_URL is None, reason="needs HARVEST_TEST_DATABASE_URL (PostgreSQL)"
)


async def test_a_job_locked_by_another_transaction_is_skipped_not_waited_for(
    app: Starlette,
) -> None:
    async with app.state.parts.db.session() as session:
        held = jobs.enqueue_job(session, kind="test.skip", payload={"n": 1})
        free = jobs.enqueue_job(session, kind="test.skip", payload={"n": 2})
        await session.commit()
    url = app.state.parts.settings.database_url.replace(
        "postgresql+asyncpg", "postgresql"
    )
    locker = await asyncpg.connect(url)
    transaction = locker.transaction()
    await transaction.start()
    await locker.execute("SELECT id FROM jobs WHERE id = $1 FOR UPDATE", held.id)

    try:
        async with app.state.parts.db.session() as session:
            claimed = await asyncio.wait_for(
                jobs.claim_jobs(
                    session, worker_id="w", lease=timedelta(seconds=30), limit=2
                ),
                timeout=5,
            )
    finally:
        await transaction.rollback()
        await locker.close()

    assert [job.id for job in claimed] == [free.id]
