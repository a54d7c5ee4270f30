"""Canceling a subscription: at the end of the period, or at once."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlmodel import col, select
from starlette.applications import Starlette

from models.base import utcnow
from models.billing import Subscription
from models.job import Job
from resolvers.billing import PERIOD_END_JOB, as_aware, end_canceled_subscription
from tests.billing.factories import (
    event_types,
    stored_invoices,
    stored_subscription,
    stored_tier,
)
from tests.factories import UserHandle, make_user

PRO = {"tier": "pro", "payment_method_id": "pm_card_visa"}

CANCEL = """
mutation Cancel($input: SubscriptionCancelInput) {
  subscriptionCancel(input: $input) { subscription { status cancelAt tier } }
}
"""


async def subscribed(app: Starlette, client: httpx.AsyncClient) -> UserHandle:
    user = await make_user(app)
    response = await client.post(
        "/v1/billing/subscribe", headers=user.headers, json=PRO
    )
    assert response.status_code == 200
    return user


async def test_cancel_gives_canceling_with_cancel_at_the_period_end(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await subscribed(app, client)
    period_end = (
        await client.get("/v1/billing/subscription", headers=user.headers)
    ).json()["subscription"]["current_period_end"]

    response = await client.post(
        "/v1/billing/cancel",
        headers=user.headers,
        json={"reason": "Too expensive", "cancel_immediately": False},
    )

    assert response.status_code == 200
    assert response.json() == {
        "subscription": {"status": "canceling", "cancel_at": period_end}
    }
    assert await stored_tier(app, user.id) == "pro"
    shown = (await client.get("/v1/billing/subscription", headers=user.headers)).json()
    assert shown["subscription"]["cancel_at_period_end"] is True
    assert shown["subscription"]["status"] == "canceling"
    assert (await event_types(app, user.id))[-1] == "subscription.updated"
    async with app.state.parts.db.session() as session:
        (job,) = (
            await session.execute(select(Job).where(col(Job.kind) == PERIOD_END_JOB))
        ).scalars()
    row = await stored_subscription(app, user.id)
    assert row is not None and row.cancel_at is not None
    assert job.payload == {"subscription_id": row.id}
    assert as_aware(job.run_at) == as_aware(row.cancel_at)


async def test_cancel_immediately_returns_the_user_to_free_at_once(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await subscribed(app, client)

    response = await client.post(
        "/v1/billing/cancel", headers=user.headers, json={"cancel_immediately": True}
    )

    assert response.status_code == 200
    assert response.json()["subscription"]["status"] == "canceled"
    assert await stored_tier(app, user.id) == "free"
    limits = (
        await client.get("/v1/billing/subscription", headers=user.headers)
    ).json()["subscription"]["limits"]
    assert limits["tokens_per_month"] == 10_000


async def test_cannot_cancel_without_a_subscription(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post("/v1/billing/cancel", headers=user.headers, json={})

    assert response.status_code == 404


async def test_cannot_cancel_twice_for_the_period_end(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await subscribed(app, client)
    await client.post("/v1/billing/cancel", headers=user.headers, json={})

    response = await client.post("/v1/billing/cancel", headers=user.headers, json={})

    assert response.status_code == 409


async def test_a_canceled_subscription_ends_when_its_period_does(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await subscribed(app, client)
    await client.post("/v1/billing/cancel", headers=user.headers, json={})
    row = await stored_subscription(app, user.id)
    assert row is not None
    async with app.state.parts.db.session() as session:
        stored = await session.get(Subscription, row.id)
        assert stored is not None
        stored.cancel_at = utcnow() - timedelta(seconds=1)
        session.add(stored)
        await session.commit()

    async with app.state.parts.db.session() as session:
        await end_canceled_subscription(
            session, app.state.parts.contexts, {"subscription_id": row.id}
        )

    assert await stored_tier(app, user.id) == "free"
    ended = await stored_subscription(app, user.id)
    assert ended is not None and ended.status == "canceled"
    assert PERIOD_END_JOB == "billing.period_end"


async def test_a_canceled_subscription_still_runs_until_its_period_ends(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await subscribed(app, client)
    await client.post("/v1/billing/cancel", headers=user.headers, json={})
    row = await stored_subscription(app, user.id)
    assert row is not None

    async with app.state.parts.db.session() as session:
        await end_canceled_subscription(
            session, app.state.parts.contexts, {"subscription_id": row.id}
        )

    assert await stored_tier(app, user.id) == "pro"


async def test_graphql_subscription_cancel_matches_rest(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await subscribed(app, client)

    response = await client.post(
        "/graphql",
        headers=user.headers,
        json={"query": CANCEL, "variables": {"input": {"reason": "Too expensive"}}},
    )

    subscription = response.json()["data"]["subscriptionCancel"]["subscription"]
    assert subscription["status"] == "canceling"
    assert subscription["cancelAt"].endswith("T23:59:59Z")
    assert subscription["tier"] == "pro"


async def test_subscribing_again_to_the_canceling_tier_keeps_it_uncharged(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await subscribed(app, client)
    await client.post("/v1/billing/cancel", headers=user.headers, json={})

    response = await client.post(
        "/v1/billing/subscribe", headers=user.headers, json={"tier": "pro"}
    )

    assert response.status_code == 200
    assert response.json()["invoice"] is None
    subscription = response.json()["subscription"]
    assert subscription["status"] == "active"
    assert subscription["cancel_at_period_end"] is False
    assert len(await stored_invoices(app, user.id)) == 1
    row = await stored_subscription(app, user.id)
    assert row is not None and row.cancel_at is None
    async with app.state.parts.db.session() as session:
        await end_canceled_subscription(
            session, app.state.parts.contexts, {"subscription_id": row.id}
        )
    assert await stored_tier(app, user.id) == "pro"
