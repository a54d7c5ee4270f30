"""POST /v1/generate/batch: a durable job per item, a status route, and the
batch's webhook_url told of every item and of the end."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from models.job import Job
from resolvers.batches import ITEM_JOB
from resolvers.tiers import TIERS
from tests.factories import UserHandle, make_user
from tests.peers.webhook_receiver import WebhookReceiver

CREATE = """
mutation Create($input: BatchCreateInput!) {
  batchCreate(input: $input) { id status itemCount webhookSecret }
}
"""

STATUS = """
query Status($id: String!) {
  batch(id: $id) { status completedItems items { id status generationId } }
}
"""


def item(client_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": client_id,
        "format": "summary",
        "input": "Solar panels got cheaper every year this decade. " * 4,
        "options": {"length": "short"},
        **extra,
    }


async def wait_for_batch(
    client: httpx.AsyncClient, owner: UserHandle, batch_id: str, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(
            f"/v1/generate/batch/{batch_id}", headers=owner.headers
        )
        assert response.status_code == 200, response.text
        if response.json()["status"] != "processing":
            return dict(response.json())
        if time.monotonic() > deadline:
            raise TimeoutError(response.text)
        await asyncio.sleep(0.1)


async def test_batch_is_accepted_with_the_spec_response(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    response = await client.post(
        "/v1/generate/batch",
        json={
            "batch": [item("batch_1"), item("batch_2", format="email")],
            "webhook_url": "https://93.184.215.14/hook",
        },
        headers=owner.headers,
    )

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["batch_id"].startswith("bat_")
    assert body["status"] == "processing"
    assert body["items"] == 2
    assert body["estimated_time_seconds"] > 0
    assert body["webhook_url"] == "https://93.184.215.14/hook"
    assert body["webhook_secret"].startswith("whsec_")


async def test_every_item_runs_and_the_batch_completes(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, tier="pro")
    created = await client.post(
        "/v1/generate/batch",
        json={"batch": [item("a"), item("b"), item("c", format="blog")]},
        headers=owner.headers,
    )

    batch = await wait_for_batch(client, owner, created.json()["batch_id"])
    generation = await client.get(
        f"/v1/generate/{batch['items'][2]['generation_id']}", headers=owner.headers
    )

    assert batch["status"] == "completed"
    assert batch["completed_items"] == 3
    assert [i["id"] for i in batch["items"]] == ["a", "b", "c"]
    assert all(i["status"] == "completed" for i in batch["items"])
    assert generation.status_code == 200
    assert batch["items"][2]["format"] == "blog"


async def test_a_failing_item_does_not_fail_the_batch(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, tier="pro")
    created = await client.post(
        "/v1/generate/batch",
        json={"batch": [item("good"), item("bad", options={"model": "no-such-model"})]},
        headers=owner.headers,
    )

    batch = await wait_for_batch(client, owner, created.json()["batch_id"])

    assert batch["status"] == "partial"
    good, bad = batch["items"]
    assert good["status"] == "completed"
    assert bad["status"] == "failed"
    assert bad["error"]["code"] == "UNSUPPORTED_MODEL"
    assert batch["failed_items"] == 1


async def test_webhook_url_is_told_of_each_item_and_of_the_end(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app, tier="pro")
    created = await client.post(
        "/v1/generate/batch",
        json={"batch": [item("one"), item("two")], "webhook_url": receiver.url},
        headers=owner.headers,
    )
    receiver.trust(created.json()["webhook_secret"])

    requests = await receiver.wait_for(3, timeout=30)

    types = sorted(r.json["type"] for r in requests)
    assert types == ["batch.completed", "batch.item.completed", "batch.item.completed"]
    assert all(r.harvest_valid and r.standard_valid for r in requests)
    end = next(r.json for r in requests if r.json["type"] == "batch.completed")
    assert end["data"]["batch_id"] == created.json()["batch_id"]
    assert end["data"]["status"] == "completed"
    assert end["data"]["completed"] == 2


async def test_more_items_than_the_tier_allows_is_quota_exceeded(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, tier="free")

    response = await client.post(
        "/v1/generate/batch",
        json={"batch": [item(f"i{n}") for n in range(11)]},
        headers=owner.headers,
    )

    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "QUOTA_EXCEEDED"
    assert error["details"] == {"field": "batch", "limit": 10, "requested": 11}


async def test_a_bad_item_is_refused_naming_its_field(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    response = await client.post(
        "/v1/generate/batch",
        json={"batch": [item("ok"), item("bad", format="limerick")]},
        headers=owner.headers,
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "batch[1].format"


async def test_an_empty_batch_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    response = await client.post(
        "/v1/generate/batch", json={"batch": []}, headers=owner.headers
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "batch"


async def test_cannot_see_another_users_batch(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)
    stranger = await make_user(app)
    created = await client.post(
        "/v1/generate/batch", json={"batch": [item("x")]}, headers=owner.headers
    )

    response = await client.get(
        f"/v1/generate/batch/{created.json()['batch_id']}", headers=stranger.headers
    )

    assert response.status_code == 404


async def test_graphql_creates_a_batch_and_reads_its_status(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, tier="pro")

    created = await client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"input": {"batch": [item("g")]}}},
        headers=owner.headers,
    )
    batch = created.json()["data"]["batchCreate"]
    await wait_for_batch(client, owner, batch["id"])
    status = await client.post(
        "/graphql",
        json={"query": STATUS, "variables": {"id": batch["id"]}},
        headers=owner.headers,
    )

    assert batch["status"] == "processing"
    assert batch["itemCount"] == 1
    assert batch["webhookSecret"] is None
    read = status.json()["data"]["batch"]
    assert read["status"] == "completed"
    assert read["items"][0]["id"] == "g"
    assert read["items"][0]["generationId"].startswith("gen_")


async def test_each_item_is_its_own_durable_job(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, tier="pro")

    created = await client.post(
        "/v1/generate/batch",
        json={"batch": [item("a"), item("b"), item("c")]},
        headers=owner.headers,
    )
    batch = await wait_for_batch(client, owner, created.json()["batch_id"])
    async with app.state.parts.db.session() as session:
        rows = (
            (await session.execute(select(Job).where(col(Job.kind) == ITEM_JOB)))
            .scalars()
            .all()
        )

    item_ids = {row.payload["item_id"] for row in rows}
    assert len(rows) == 3
    assert len(item_ids) == 3
    assert {row.status for row in rows} == {"succeeded"}
    assert len({i["generation_id"] for i in batch["items"]}) == 3


async def test_webhook_url_is_told_of_a_failed_item_and_a_partial_end(
    app: Starlette, client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    owner = await make_user(app, tier="pro")
    created = await client.post(
        "/v1/generate/batch",
        json={
            "batch": [item("fine"), item("broken", options={"model": "no-such"})],
            "webhook_url": receiver.url,
        },
        headers=owner.headers,
    )
    receiver.trust(created.json()["webhook_secret"])

    requests = await receiver.wait_for(3, timeout=30)

    by_type = {r.json["type"]: r.json["data"] for r in requests}
    assert set(by_type) == {
        "batch.item.completed",
        "batch.item.failed",
        "batch.completed",
    }
    assert by_type["batch.item.failed"]["item_id"] == "broken"
    assert by_type["batch.item.failed"]["error"]["code"] == "UNSUPPORTED_MODEL"
    assert by_type["batch.item.completed"]["item_id"] == "fine"
    assert by_type["batch.completed"]["status"] == "partial"
    assert by_type["batch.completed"]["failed"] == 1
    assert all(r.harvest_valid and r.standard_valid for r in requests)


@pytest.mark.parametrize("tier", list(TIERS))
async def test_each_tier_caps_its_items_at_its_own_number(
    app: Starlette, client: httpx.AsyncClient, tier: str
) -> None:
    owner = await make_user(app, tier=tier)
    cap = TIERS[tier].batch_items

    over = await client.post(
        "/v1/generate/batch",
        json={"batch": [item(f"i{n}") for n in range(cap + 1)]},
        headers=owner.headers,
    )

    assert over.status_code == 402
    assert over.json()["error"]["details"]["limit"] == cap
