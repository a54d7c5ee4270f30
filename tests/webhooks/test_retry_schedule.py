"""Failed attempts wait longer each time: the schedule, and a real receiver
that sees the gaps grow."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import httpx
import pytest
from starlette.applications import Starlette

from harvest.settings import Settings
from resolvers.webhook_delivery import MAX_ATTEMPTS, RETRY_SCHEDULE, retry_delay
from tests.factories import make_user
from tests.peers.webhook_receiver import WebhookReceiver
from tests.webhooks.factories import make_endpoint
from tests.webhooks.helpers import wait_for_deliveries

BASE_SECONDS = 0.2


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(webhook_retry_base_seconds=BASE_SECONDS)


async def test_each_retry_waits_longer_than_the_one_before(app: Starlette) -> None:
    ctx = await app.state.parts.contexts.build(
        token=None, client_ip=None, surface="job", request_id="schedule"
    )

    waits = [retry_delay(ctx, attempts) for attempts in range(1, MAX_ATTEMPTS)]

    expected = [timedelta(seconds=BASE_SECONDS * step) for step in RETRY_SCHEDULE]
    assert all(
        low <= wait <= low * 1.1 for wait, low in zip(waits, expected, strict=True)
    )
    assert all(later > earlier for earlier, later in pairwise(waits))
    assert [step * 5 for step in (RETRY_SCHEDULE[0], RETRY_SCHEDULE[-1])] == [
        5,
        4 * 3600,
    ]
    assert MAX_ATTEMPTS == 9


async def test_a_receiver_sees_the_gaps_between_attempts_grow(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app)
    endpoint = await make_endpoint(client, owner, receiver.url)
    receiver.trust(endpoint["secret"])
    receiver.fail(2, status=503)

    await client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers)
    first, second, third = await receiver.wait_for(3, timeout=30)
    [delivery] = await wait_for_deliveries(client, owner, endpoint["id"])

    one, two = second.at - first.at, third.at - second.at
    assert one >= RETRY_SCHEDULE[0] * BASE_SECONDS
    assert two >= RETRY_SCHEDULE[1] * BASE_SECONDS
    assert two > one
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"] == 3
