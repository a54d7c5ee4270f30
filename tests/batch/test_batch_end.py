"""The last two items of a batch ending at the same moment still close it: on
PostgreSQL the second finisher waits for the first before it counts."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from models.db import Database
from models.generation import Batch, BatchItem
from resolvers.batches import end_batch_if_done
from tests.conftest import PG_URL
from tests.factories import make_user

pytestmark = pytest.mark.skipif(
    PG_URL is None, reason="needs HARVEST_TEST_DATABASE_URL (PostgreSQL)"
)


async def test_two_items_ending_at_once_close_the_batch(app: Starlette) -> None:
    owner = await make_user(app, tier="pro")
    async with app.state.parts.db.session() as session:
        batch = Batch(user_id=owner.id, items=2)
        session.add(batch)
        await session.flush()
        items = [
            BatchItem(batch_id=batch.id, position=n, status="running") for n in (0, 1)
        ]
        session.add_all(items)
        await session.commit()
    other = Database(app.state.parts.settings.database_url)

    try:
        async with (
            app.state.parts.db.session() as first,
            other.session() as second,
        ):

            async def end(session: AsyncSession, item_id: str) -> None:
                item = await session.get(BatchItem, item_id)
                row = await session.get(Batch, batch.id)
                assert item is not None and row is not None
                item.status = "completed"
                await session.flush()
                await end_batch_if_done(session, row)

            await end(first, items[0].id)
            later = asyncio.create_task(end(second, items[1].id))
            await asyncio.sleep(0.5)
            await first.commit()
            await asyncio.wait_for(later, timeout=10)
            await second.commit()
    finally:
        await other.dispose()
    async with app.state.parts.db.session() as session:
        closed = await session.get(Batch, batch.id)

    assert closed is not None
    assert closed.status == "completed"
    assert closed.completed_at is not None
