"""Each attempt has a time limit; a receiver that hangs costs one attempt."""

from __future__ import annotations

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette

from harvest.settings import Settings
from tests.factories import make_user
from tests.peers.webhook_receiver import WebhookReceiver
from tests.webhooks.factories import make_endpoint
from tests.webhooks.helpers import wait_for_deliveries


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(webhook_timeout_seconds=0.5)


async def test_a_receiver_that_hangs_times_out_and_the_retry_lands(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    receiver.trust(endpoint["secret"])
    receiver.hold(3)

    await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    await receiver.wait_for(1)
    receiver.hold(0)
    requests = await receiver.wait_for(2)
    [delivery] = await wait_for_deliveries(client, owner, endpoint["id"])

    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 2
    assert len(requests) == 2
    assert all(r.standard_valid for r in requests)


async def test_a_signature_does_not_survive_a_changed_timestamp(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)

    await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    [request] = await receiver.wait_for(1)
    replayed = dict(request.headers)
    replayed["webhook-timestamp"] = str(int(replayed["webhook-timestamp"]) + 1)
    stale = dict(request.headers)
    stale["webhook-timestamp"] = str(int(stale["webhook-timestamp"]) - 3600)

    Webhook(endpoint["secret"]).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request.body, replayed)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request.body, stale)
