"""Subscribing with the local provider (no STRIPE_API_KEY)."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette

from tests.billing.factories import (
    event_types,
    stored_invoices,
    stored_subscription,
    stored_tier,
)
from tests.factories import make_user

SUBSCRIBE = """
mutation Subscribe($input: SubscriptionCreateInput!) {
  subscriptionCreate(input: $input) {
    subscription { tier status limits { tokensPerMonth apiRequestsPerMinute } }
    invoice { amount currency status number }
  }
}
"""


async def test_subscribe_pro_with_save20_gives_a_paid_invoice_of_2320_usd(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={
            "tier": "pro",
            "payment_method_id": "pm_card_visa",
            "coupon_code": "SAVE20",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["invoice"]["amount"] == 2320
    assert body["invoice"]["currency"] == "usd"
    assert body["invoice"]["status"] == "paid"
    assert body["invoice"]["id"].startswith("inv_")
    assert set(body["invoice"]) == {"id", "amount", "currency", "status"}
    subscription = body["subscription"]
    assert subscription["tier"] == "pro"
    assert subscription["status"] == "active"
    assert subscription["id"].startswith("sub_")
    assert subscription["payment_method"] == {
        "type": "card",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2034,
    }
    assert subscription["current_period_end"].endswith("T23:59:59Z")
    assert await stored_tier(app, user.id) == "pro"
    assert sorted(await event_types(app, user.id)) == [
        "payment.succeeded",
        "subscription.updated",
    ]


async def test_subscribe_without_coupon_charges_the_tier_price(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "enterprise", "payment_method_id": "pm_card_visa"},
    )

    assert response.status_code == 200
    assert response.json()["invoice"]["amount"] == 9900


async def test_declined_card_changes_nothing(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "pro", "payment_method_id": "pm_card_chargeDeclined"},
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"] == {"field": "payment_method_id", "reason": "card_declined"}
    assert "declined" in error["message"]
    assert await stored_tier(app, user.id) == "free"
    assert await stored_subscription(app, user.id) is None
    assert await stored_invoices(app, user.id) == []
    assert await event_types(app, user.id) == []


async def test_declined_card_on_upgrade_keeps_the_current_tier(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "pro", "payment_method_id": "pm_card_visa"},
    )

    response = await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "enterprise", "payment_method_id": "pm_card_chargeDeclined"},
    )

    assert response.status_code == 400
    assert await stored_tier(app, user.id) == "pro"
    assert len(await stored_invoices(app, user.id)) == 1


async def test_cannot_subscribe_with_an_unknown_coupon(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "pro", "payment_method_id": "pm_card_visa", "coupon_code": "X"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "coupon_code"
    assert await stored_tier(app, user.id) == "free"


async def test_cannot_subscribe_to_an_unknown_tier(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "platinum", "payment_method_id": "pm_card_visa"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "field": "tier",
        "reason": "unknown_tier",
    }


async def test_cannot_subscribe_to_a_paid_tier_without_a_payment_method(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/v1/billing/subscribe", headers=user.headers, json={"tier": "pro"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "payment_method_id"


async def test_cannot_subscribe_twice_to_the_same_tier(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    body = {"tier": "pro", "payment_method_id": "pm_card_visa"}
    await client.post("/v1/billing/subscribe", headers=user.headers, json=body)

    response = await client.post(
        "/v1/billing/subscribe", headers=user.headers, json=body
    )

    assert response.status_code == 409
    assert len(await stored_invoices(app, user.id)) == 1


async def test_subscribe_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/billing/subscribe", json={"tier": "pro"})

    assert response.status_code == 401


async def test_graphql_subscription_create_matches_rest(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/graphql",
        headers=user.headers,
        json={
            "query": SUBSCRIBE,
            "variables": {
                "input": {
                    "tier": "pro",
                    "paymentMethodId": "pm_card_visa",
                    "couponCode": "SAVE20",
                }
            },
        },
    )

    payload = response.json()["data"]["subscriptionCreate"]
    assert payload["invoice"]["amount"] == 2320
    assert payload["invoice"]["number"].startswith("INV-")
    assert payload["subscription"]["limits"] == {
        "tokensPerMonth": 100_000,
        "apiRequestsPerMinute": 500,
    }


async def test_graphql_declined_card_is_a_validation_error(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/graphql",
        headers=user.headers,
        json={
            "query": SUBSCRIBE,
            "variables": {
                "input": {"tier": "pro", "paymentMethodId": "pm_card_chargeDeclined"}
            },
        },
    )

    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert error["extensions"]["details"]["reason"] == "card_declined"


async def test_two_subscribes_at_once_make_one_subscription_and_one_conflict(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    body = {"tier": "pro", "payment_method_id": "pm_card_visa"}

    answers = await asyncio.gather(
        *(
            client.post("/v1/billing/subscribe", headers=user.headers, json=body)
            for _ in range(2)
        )
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    assert len(await stored_invoices(app, user.id)) == 1
