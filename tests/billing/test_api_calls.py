"""API calls: every admitted request with a caller counts in the month's usage."""

from __future__ import annotations

import httpx
from sqlmodel import col, select
from starlette.applications import Starlette

from harvest.app import create_app
from harvest.settings import Settings
from models.base import utcnow
from models.billing import UsageCounter
from tests.billing.factories import events_of, notification_types
from tests.factories import make_user


async def stored_api_calls(app: Starlette, user_id: str) -> int:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(UsageCounter.api_calls).where(col(UsageCounter.scope_id) == user_id)
        )
        return sum(rows.scalars())


async def test_requests_by_token_and_api_key_are_reported_as_api_calls(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    created = await client.post(
        "/v1/users/me/api-keys", headers=user.headers, json={"name": "CI"}
    )
    key = {"Authorization": f"Bearer {created.json()['api_key']['key']}"}
    await client.get("/v1/billing/subscription", headers=key)
    await client.post(
        "/graphql", headers=user.headers, json={"query": "{ __typename }"}
    )
    await client.get("/v1/billing/subscription")

    await app.state.parts.api_calls.flush()
    response = await client.get("/v1/billing/usage", headers=user.headers)

    assert await stored_api_calls(app, user.id) == 3
    assert response.json()["usage"]["api_calls"]["count"] >= 3
    assert response.json()["usage"]["api_calls"]["limit"] == 1_000


async def test_api_calls_past_80_percent_raise_the_warning_once(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    async with app.state.parts.db.session() as session:
        session.add(
            UsageCounter(
                scope_id=user.id, day=utcnow().date(), format="", api_calls=799
            )
        )
        await session.commit()
    meter = app.state.parts.api_calls

    await client.get("/v1/billing/subscription", headers=user.headers)
    await meter.flush()
    await client.get("/v1/billing/subscription", headers=user.headers)
    await meter.flush()

    (warning,) = await events_of(app, user.id, "usage.limit.warning")
    assert warning["metric"] == "api_calls"
    assert warning["used"] == 800
    assert await notification_types(app, user.id) == ["usage.limit.warning"]


async def test_calls_still_pending_at_shutdown_are_written(settings: Settings) -> None:
    application = create_app(settings, auto_migrate=False)
    async with application.router.lifespan_context(application):
        user = await make_user(application)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as client:
            await client.get("/v1/billing/subscription", headers=user.headers)

    async with application.router.lifespan_context(application):
        assert await stored_api_calls(application, user.id) == 1
