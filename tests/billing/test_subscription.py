"""Reading the subscription, and a change of tier changing every limit at once."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from resolvers.tiers import TIERS
from tests.factories import make_user

LIMITS = """
query { subscription { tier limits { tokensPerMonth generationsPerMonth
  teamMembers apiRequestsPerMinute generationsPerHour websocketConnections
  concurrentGenerations } } }
"""


async def test_user_without_subscription_is_shown_on_free(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.get("/v1/billing/subscription", headers=user.headers)

    assert response.status_code == 200
    subscription = response.json()["subscription"]
    assert subscription["id"] is None
    assert subscription["tier"] == "free"
    assert subscription["status"] == "active"
    assert subscription["payment_method"] is None
    assert subscription["cancel_at_period_end"] is False
    assert subscription["current_period_start"].endswith("-01T00:00:00Z")
    assert subscription["limits"] == {
        "tokens_per_month": TIERS["free"].tokens_per_month,
        "generations_per_month": TIERS["free"].generations_per_month,
        "team_members": TIERS["free"].team_members,
        "api_requests_per_minute": TIERS["free"].requests_per_minute,
    }


async def test_subscription_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/billing/subscription")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_tier_change_changes_every_limit_at_once(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    before = await client.post("/graphql", headers=user.headers, json={"query": LIMITS})

    await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "enterprise", "payment_method_id": "pm_card_visa"},
    )
    after = await client.post("/graphql", headers=user.headers, json={"query": LIMITS})
    usage = await client.get("/v1/billing/usage", headers=user.headers)

    enterprise = TIERS["enterprise"]
    assert before.json()["data"]["subscription"]["tier"] == "free"
    assert after.json()["data"]["subscription"] == {
        "tier": "enterprise",
        "limits": {
            "tokensPerMonth": enterprise.tokens_per_month,
            "generationsPerMonth": enterprise.generations_per_month,
            "teamMembers": enterprise.team_members,
            "apiRequestsPerMinute": enterprise.requests_per_minute,
            "generationsPerHour": enterprise.generations_per_hour,
            "websocketConnections": enterprise.websocket_connections,
            "concurrentGenerations": enterprise.concurrent_generations,
        },
    }
    assert usage.json()["usage"]["tokens"]["limit"] == enterprise.tokens_per_month
    assert usage.json()["usage"]["api_calls"]["limit"] == enterprise.api_calls_per_month


async def test_tier_change_reaches_the_callers_principal_on_the_next_request(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    contexts = app.state.parts.contexts

    await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "pro", "payment_method_id": "pm_card_visa"},
    )
    rc = await contexts.build(token=user.token, client_ip=None, surface="rest")

    assert rc.principal is not None
    assert rc.principal.tier == "pro"
