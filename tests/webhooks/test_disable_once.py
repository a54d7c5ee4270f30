"""Deliveries of one endpoint failing at once on two workers turn it off once,
and its owner hears once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from starlette.applications import Starlette

from models.db import Database
from models.notification import Notification
from models.webhook import WebhookEndpoint
from resolvers.webhook_delivery import disable_endpoint
from tests.conftest import PG_URL
from tests.factories import make_user

pytestmark = pytest.mark.skipif(
    PG_URL is None, reason="needs HARVEST_TEST_DATABASE_URL (PostgreSQL)"
)


async def test_two_workers_disabling_one_endpoint_notify_its_owner_once(
    app: Starlette,
) -> None:
    owner = await make_user(app)
    async with app.state.parts.db.session() as session:
        endpoint = WebhookEndpoint(
            user_id=owner.id, url="https://93.184.215.14/h", secret="whsec_x"
        )
        session.add(endpoint)
        await session.commit()
    other = Database(app.state.parts.settings.database_url)

    async def disable(session: AsyncSession) -> bool:
        row = await session.get(WebhookEndpoint, endpoint.id)
        assert row is not None and row.enabled
        return await disable_endpoint(session, row, gone=False) is not None

    try:
        async with (
            app.state.parts.db.session() as first,
            other.session() as second,
        ):
            await second.get(WebhookEndpoint, endpoint.id)
            notified_first = await disable(first)
            later = asyncio.create_task(disable(second))
            await asyncio.sleep(0.5)
            await first.commit()
            notified_second = await asyncio.wait_for(later, timeout=10)
            await second.commit()
    finally:
        await other.dispose()
    async with app.state.parts.db.session() as session:
        notes = (
            await session.execute(
                select(Notification).where(col(Notification.user_id) == owner.id)
            )
        ).scalars()
        stored = await session.get(WebhookEndpoint, endpoint.id)

    assert (notified_first, notified_second) == (True, False)
    assert [n.type for n in notes] == ["webhook.disabled"]
    assert stored is not None and stored.enabled is False
