"""Without Stripe configured, the webhook route says so."""

from __future__ import annotations

import httpx


async def test_webhook_without_stripe_is_service_unavailable(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/billing/webhook",
        content=b'{"id": "evt_1"}',
        headers={"Stripe-Signature": "t=1,v1=00"},
    )

    assert response.status_code == 503
    assert "STRIPE" in response.json()["error"]["message"]
