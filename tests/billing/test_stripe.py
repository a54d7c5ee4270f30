"""The Stripe provider, through the stripe SDK, against a loopback Stripe."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from harvest.settings import Settings
from tests.billing.conftest import with_stripe
from tests.billing.factories import stored_invoices, stored_subscription, stored_tier
from tests.factories import UserHandle, make_user
from tests.peers.stripe_server import StripePeer


@pytest.fixture
def settings(settings: Settings, stripe_peer: StripePeer) -> Settings:
    return with_stripe(settings, stripe_peer)


async def subscribe(
    client: httpx.AsyncClient, user: UserHandle, **body: str
) -> httpx.Response:
    return await client.post("/v1/billing/subscribe", headers=user.headers, json=body)


async def test_subscribe_pro_with_save20_at_stripe_gives_a_paid_invoice_of_2320(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)

    response = await subscribe(
        client,
        user,
        tier="pro",
        payment_method_id="pm_card_visa",
        coupon_code="SAVE20",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["invoice"]["amount"] == 2320
    assert body["invoice"]["currency"] == "usd"
    assert body["invoice"]["status"] == "paid"
    assert body["subscription"]["tier"] == "pro"
    assert body["subscription"]["payment_method"]["last4"] == "4242"
    assert set(stripe_peer.state.content_types) == {"application/x-www-form-urlencoded"}
    (created,) = stripe_peer.calls("POST", "/v1/subscriptions")
    assert created["discounts"] == [{"coupon": "SAVE20"}]
    assert created["items"] == [{"price": "price_pro"}]
    assert created["payment_behavior"] == "error_if_incomplete"
    (customer,) = stripe_peer.state.customers.values()
    assert customer["email"] == user.user.email
    assert customer["invoice_settings"]["default_payment_method"] == "pm_card_visa"
    row = await stored_subscription(app, user.id)
    assert row is not None and row.provider == "stripe"
    assert row.provider_subscription_id in stripe_peer.state.subscriptions
    (invoice,) = await stored_invoices(app, user.id)
    assert (
        invoice.pdf_url == f"{stripe_peer.url}/files/{invoice.provider_invoice_id}.pdf"
    )
    assert invoice.number.startswith("PEER-")


async def test_invoices_from_stripe_carry_their_pdf_url(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)
    await subscribe(client, user, tier="pro", payment_method_id="pm_card_visa")

    response = await client.get("/v1/billing/invoices", headers=user.headers)

    (invoice,) = response.json()["invoices"]
    assert invoice["amount"] == 2900
    assert invoice["pdf_url"].startswith(stripe_peer.url + "/files/in_")


async def test_declined_card_at_stripe_changes_nothing(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)

    response = await subscribe(
        client, user, tier="pro", payment_method_id="pm_card_chargeDeclined"
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "field": "payment_method_id",
        "reason": "card_declined",
    }
    assert stripe_peer.state.subscriptions == {}
    assert await stored_tier(app, user.id) == "free"
    assert await stored_subscription(app, user.id) is None
    assert await stored_invoices(app, user.id) == []


async def test_unknown_coupon_at_stripe_names_the_coupon_field(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)

    response = await subscribe(
        client, user, tier="pro", payment_method_id="pm_card_visa", coupon_code="NOPE"
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "coupon_code"
    assert "NOPE" in response.json()["error"]["message"]
    assert await stored_tier(app, user.id) == "free"


async def test_upgrade_is_prorated_and_invoiced_at_once(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)
    await subscribe(client, user, tier="pro", payment_method_id="pm_card_visa")

    response = await subscribe(client, user, tier="enterprise")

    assert response.status_code == 200
    assert response.json()["subscription"]["tier"] == "enterprise"
    assert response.json()["subscription"]["limits"]["tokens_per_month"] == 1_000_000
    assert 0 < response.json()["invoice"]["amount"] <= 7000
    (update,) = stripe_peer.calls("POST", "/v1/subscriptions/")
    assert update["proration_behavior"] == "always_invoice"
    assert update["items"][0]["price"] == "price_enterprise"
    assert len(stripe_peer.state.subscriptions) == 1
    assert await stored_tier(app, user.id) == "enterprise"


async def test_downgrade_credits_the_next_invoice(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)
    await subscribe(client, user, tier="enterprise", payment_method_id="pm_card_visa")

    response = await subscribe(client, user, tier="pro")

    assert response.status_code == 200
    assert response.json()["invoice"] is None
    (update,) = stripe_peer.calls("POST", "/v1/subscriptions/")
    assert update["proration_behavior"] == "create_prorations"
    assert await stored_tier(app, user.id) == "pro"


async def test_cancel_at_stripe_gives_canceling_with_the_period_end(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)
    await subscribe(client, user, tier="pro", payment_method_id="pm_card_visa")

    response = await client.post(
        "/v1/billing/cancel", headers=user.headers, json={"reason": "Too expensive"}
    )

    assert response.status_code == 200
    (sub,) = stripe_peer.state.subscriptions.values()
    period_end = sub["items"]["data"][0]["current_period_end"]
    row = await stored_subscription(app, user.id)
    assert row is not None and row.cancel_at is not None
    assert response.json()["subscription"]["status"] == "canceling"
    assert int(row.cancel_at.timestamp()) == period_end
    assert sub["cancel_at_period_end"] is True
    assert await stored_tier(app, user.id) == "pro"


async def test_cancel_immediately_at_stripe_deletes_the_subscription(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)
    await subscribe(client, user, tier="pro", payment_method_id="pm_card_visa")

    response = await client.post(
        "/v1/billing/cancel", headers=user.headers, json={"cancel_immediately": True}
    )

    assert response.status_code == 200
    assert response.json()["subscription"]["status"] == "canceled"
    assert len(stripe_peer.calls("DELETE", "/v1/subscriptions/")) == 1
    assert await stored_tier(app, user.id) == "free"


async def test_stripe_unreachable_is_service_unavailable_and_changes_nothing(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)
    stripe_peer.stop()

    response = await subscribe(
        client, user, tier="pro", payment_method_id="pm_card_visa"
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert await stored_tier(app, user.id) == "free"


async def test_a_declined_first_card_leaves_one_customer_at_stripe_for_the_retry(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)
    declined = {"tier": "pro", "payment_method_id": "pm_card_chargeDeclined"}
    await subscribe(client, user, **declined)
    await subscribe(client, user, **declined)

    response = await subscribe(
        client, user, tier="pro", payment_method_id="pm_card_visa"
    )

    assert response.status_code == 200
    (customer,) = stripe_peer.state.customers.values()
    (sub,) = stripe_peer.state.subscriptions.values()
    assert sub["customer"] == customer["id"]


async def test_subscribing_again_while_canceling_at_stripe_takes_the_cancel_back(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user = await make_user(app)
    await subscribe(client, user, tier="pro", payment_method_id="pm_card_visa")
    await client.post("/v1/billing/cancel", headers=user.headers, json={})

    response = await subscribe(client, user, tier="pro")

    assert response.status_code == 200
    assert response.json()["subscription"]["status"] == "active"
    assert response.json()["invoice"] is None
    (sub,) = stripe_peer.state.subscriptions.values()
    assert sub["cancel_at_period_end"] is False
    assert len(stripe_peer.state.invoices) == 1
    assert await stored_tier(app, user.id) == "pro"
