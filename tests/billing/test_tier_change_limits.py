"""A change of tier changes every limit at once: the next request, made with
the same credential, already runs under the new tier's numbers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from harvest.settings import Settings
from resolvers.tiers import RECENT_TIER_SECONDS
from tests.factories import UserHandle, make_user

# Small numbers so the tests reach the limits quickly; the team size is the
# tier table's own (free 3, pro 10).
LIMITS = {
    "free": {"requests_per_minute": 5, "generations_per_hour": 1},
    "pro": {"requests_per_minute": 10, "generations_per_hour": 3},
}
PRO = {"tier": "pro", "payment_method_id": "pm_card_visa"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(rate_limits=LIMITS)


async def test_free_user_at_the_request_limit_who_upgrades_gets_pros_limit_at_once(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    for _ in range(4):
        await client.get("/v1/billing/subscription", headers=user.headers)
    upgraded = await client.post(
        "/v1/billing/subscribe", headers=user.headers, json=PRO
    )
    assert upgraded.headers["x-ratelimit-remaining"] == "0"

    response = await client.get("/v1/billing/subscription", headers=user.headers)

    assert upgraded.status_code == 200
    assert response.status_code == 200
    assert response.headers["x-ratelimit-limit"] == "10"
    assert response.headers["x-ratelimit-remaining"] == "4"


async def test_pro_user_who_cancels_at_once_falls_to_the_free_request_limit(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    await client.post("/v1/billing/subscribe", headers=user.headers, json=PRO)
    for _ in range(3):
        await client.get("/v1/billing/subscription", headers=user.headers)
    canceled = await client.post(
        "/v1/billing/cancel", headers=user.headers, json={"cancel_immediately": True}
    )

    response = await client.get("/v1/billing/subscription", headers=user.headers)

    assert canceled.headers["x-ratelimit-limit"] == "10"
    assert response.status_code == 429
    assert response.headers["x-ratelimit-limit"] == "5"


async def test_an_api_key_follows_its_owners_new_tier_at_once(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    created = await client.post(
        "/v1/users/me/api-keys", headers=user.headers, json={"name": "CI"}
    )
    key = {"Authorization": f"Bearer {created.json()['api_key']['key']}"}
    for _ in range(3):
        await client.get("/v1/billing/subscription", headers=key)
    await client.post("/v1/billing/subscribe", headers=key, json=PRO)

    response = await client.get("/v1/billing/subscription", headers=key)

    assert response.status_code == 200
    assert response.headers["x-ratelimit-limit"] == "10"


async def generate(client: httpx.AsyncClient, user: UserHandle) -> httpx.Response:
    return await client.post(
        "/v1/generate",
        headers=user.headers,
        json={"format": "summary", "input": "Why cities plant trees along streets"},
    )


async def test_free_user_at_the_hourly_generation_limit_who_upgrades_can_generate(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    first = await generate(client, user)
    refused = await generate(client, user)
    await client.post("/v1/billing/subscribe", headers=user.headers, json=PRO)

    response = await generate(client, user)

    assert first.status_code == 200
    assert refused.status_code == 429
    assert refused.json()["error"]["details"]["bucket"] == "generate"
    assert response.status_code == 200, response.text


async def invite(
    client: httpx.AsyncClient, owner: UserHandle, team_id: str, email: str
) -> httpx.Response:
    return await client.post(
        f"/v1/teams/{team_id}/invite", headers=owner.headers, json={"email": email}
    )


async def test_free_owner_at_the_team_size_limit_who_upgrades_can_invite(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)
    created = await client.post(
        "/v1/teams", headers=owner.headers, json={"name": "Small"}
    )
    team_id = created.json()["team"]["id"]
    for name in ("one", "two"):
        await invite(client, owner, team_id, f"{name}@example.com")
    refused = await invite(client, owner, team_id, "three@example.com")
    await client.post("/v1/billing/subscribe", headers=owner.headers, json=PRO)

    response = await invite(client, owner, team_id, "three@example.com")

    assert refused.status_code == 402
    assert refused.json()["error"]["details"]["limit"] == 3
    assert response.status_code == 200, response.text


async def test_a_tier_changed_by_another_process_applies_within_two_seconds(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    for _ in range(5):
        await client.get("/v1/billing/subscription", headers=user.headers)
    async with app.state.parts.db.session() as session:
        await session.execute(
            sa.text("UPDATE users SET subscription_tier = 'pro' WHERE id = :id"),
            {"id": user.id},
        )
        await session.commit()

    await asyncio.sleep(RECENT_TIER_SECONDS + 0.1)
    response = await client.get("/v1/billing/subscription", headers=user.headers)

    assert response.status_code == 200
    assert response.headers["x-ratelimit-limit"] == "10"
