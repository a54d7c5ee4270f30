"""Stripe's inbound webhooks: signed with STRIPE_WEBHOOK_SECRET, applied once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from harvest.settings import Settings
from tests.billing.conftest import with_stripe
from tests.billing.factories import (
    event_types,
    events_of,
    stored_invoices,
    stored_subscription,
    stored_tier,
)
from tests.factories import UserHandle, make_user
from tests.peers.stripe_server import StripePeer, deliver, render_subscription


@pytest.fixture
def settings(settings: Settings, stripe_peer: StripePeer) -> Settings:
    return with_stripe(settings, stripe_peer)


async def subscribed(
    app: Starlette, client: httpx.AsyncClient
) -> tuple[UserHandle, str]:
    user = await make_user(app)
    response = await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "pro", "payment_method_id": "pm_card_visa"},
    )
    assert response.status_code == 200
    row = await stored_subscription(app, user.id)
    assert row is not None and row.provider_subscription_id is not None
    return user, row.provider_subscription_id


def renewal_invoice(
    peer: StripePeer, sub_id: str, *, status: str, amount: int = 2900
) -> dict[str, Any]:
    sub = peer.state.subscriptions[sub_id]
    return {
        "id": peer.state.new_id("in"),
        "object": "invoice",
        "number": "PEER-RENEW",
        "customer": sub["customer"],
        "currency": "usd",
        "total": amount,
        "status": status,
        "invoice_pdf": f"{peer.url}/files/renewal.pdf",
        "created": int(time.time()),
        "parent": {"subscription_details": {"subscription": sub_id}},
    }


async def test_subscription_deleted_at_stripe_returns_the_user_to_free(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user, sub_id = await subscribed(app, client)
    sub = stripe_peer.state.subscriptions[sub_id]
    sub.update(status="canceled", canceled_at=int(time.time()))
    event = stripe_peer.event(
        "customer.subscription.deleted", render_subscription(stripe_peer.state, sub, {})
    )

    response = await deliver(client, event)

    assert response.status_code == 200
    assert response.json() == {"received": True}
    assert await stored_tier(app, user.id) == "free"
    row = await stored_subscription(app, user.id)
    assert row is not None and row.status == "canceled"
    updates = await events_of(app, user.id, "subscription.updated")
    assert updates[-1]["tier"] == "free"
    assert updates[-1]["previous_tier"] == "pro"


async def test_subscription_updated_at_stripe_changes_tier_and_status(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user, sub_id = await subscribed(app, client)
    sub = stripe_peer.state.subscriptions[sub_id]
    sub["items"]["data"][0]["price"] = stripe_peer.state.prices["price_enterprise"]
    sub["metadata"] = {}
    sub["cancel_at_period_end"] = True
    event = stripe_peer.event(
        "customer.subscription.updated", render_subscription(stripe_peer.state, sub, {})
    )

    await deliver(client, event)

    shown = (await client.get("/v1/billing/subscription", headers=user.headers)).json()
    assert shown["subscription"]["tier"] == "enterprise"
    assert shown["subscription"]["status"] == "canceling"
    assert shown["subscription"]["limits"]["team_members"] == 100


async def test_payment_failed_records_the_invoice_and_raises_payment_failed(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user, sub_id = await subscribed(app, client)
    invoice = renewal_invoice(stripe_peer, sub_id, status="open")

    response = await deliver(
        client, stripe_peer.event("invoice.payment_failed", invoice)
    )

    assert response.status_code == 200
    stored = {i.provider_invoice_id: i for i in await stored_invoices(app, user.id)}
    assert stored[invoice["id"]].status == "open"
    assert stored[invoice["id"]].amount == 2900
    (failed,) = await events_of(app, user.id, "payment.failed")
    assert failed["invoice_id"] == stored[invoice["id"]].id


async def test_payment_succeeded_after_a_failure_marks_the_invoice_paid(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user, sub_id = await subscribed(app, client)
    invoice = renewal_invoice(stripe_peer, sub_id, status="open")
    await deliver(client, stripe_peer.event("invoice.payment_failed", invoice))

    await deliver(
        client, stripe_peer.event("invoice.paid", {**invoice, "status": "paid"})
    )

    stored = [
        i
        for i in await stored_invoices(app, user.id)
        if i.provider_invoice_id == invoice["id"]
    ]
    assert [i.status for i in stored] == ["paid"]
    assert (await event_types(app, user.id))[-1] == "payment.succeeded"


async def test_replayed_event_is_applied_once(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user, sub_id = await subscribed(app, client)
    event = stripe_peer.event(
        "invoice.payment_failed", renewal_invoice(stripe_peer, sub_id, status="open")
    )

    first = await deliver(client, event)
    replay = await deliver(client, event)

    assert first.json() == {"received": True}
    assert replay.status_code == 200
    assert replay.json() == {"received": True, "duplicate": True}
    assert len(await events_of(app, user.id, "payment.failed")) == 1


async def test_bad_signature_is_refused_and_changes_nothing(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user, sub_id = await subscribed(app, client)
    event = stripe_peer.event(
        "invoice.payment_failed", renewal_invoice(stripe_peer, sub_id, status="open")
    )

    response = await deliver(client, event, secret="whsec_somebody_else")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "field": "Stripe-Signature",
        "reason": "invalid_signature",
    }
    assert await events_of(app, user.id, "payment.failed") == []
    retried = await deliver(client, event)
    assert retried.json() == {"received": True}


async def test_missing_signature_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/billing/webhook", content=b'{"id": "evt_1"}')

    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "invalid_signature"


async def test_stale_timestamp_is_refused(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user, sub_id = await subscribed(app, client)
    event = stripe_peer.event(
        "invoice.payment_failed", renewal_invoice(stripe_peer, sub_id, status="open")
    )

    response = await deliver(client, event, at=int(time.time()) - 3600)

    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "stale_timestamp"
    assert await events_of(app, user.id, "payment.failed") == []


async def test_events_we_do_not_use_are_acknowledged(
    client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    event = stripe_peer.event("charge.refunded", {"id": "ch_1", "object": "charge"})

    response = await deliver(client, event)

    assert response.status_code == 200
    assert response.json() == {"received": True}


async def test_stripes_own_events_for_a_subscribe_raise_no_second_product_events(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user, sub_id = await subscribed(app, client)
    sub = stripe_peer.state.subscriptions[sub_id]
    first_invoice = stripe_peer.state.invoices[sub["latest_invoice"]]

    created = await deliver(
        client,
        stripe_peer.event(
            "customer.subscription.created",
            render_subscription(stripe_peer.state, sub, {}),
        ),
    )
    paid = await deliver(client, stripe_peer.event("invoice.paid", first_invoice))

    assert (created.status_code, paid.status_code) == (200, 200)
    assert sorted(await event_types(app, user.id)) == [
        "payment.succeeded",
        "subscription.updated",
    ]
    assert len(await stored_invoices(app, user.id)) == 1


async def test_the_same_event_delivered_five_times_at_once_is_applied_once(
    app: Starlette, client: httpx.AsyncClient, stripe_peer: StripePeer
) -> None:
    user, sub_id = await subscribed(app, client)
    event = stripe_peer.event(
        "invoice.payment_failed", renewal_invoice(stripe_peer, sub_id, status="open")
    )

    answers = await asyncio.gather(*(deliver(client, event) for _ in range(5)))

    assert [a.status_code for a in answers] == [200] * 5
    assert sum("duplicate" not in a.json() for a in answers) == 1
    assert len(await events_of(app, user.id, "payment.failed")) == 1
