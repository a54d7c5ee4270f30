"""Generation starts per hour and generations running at once, per account,
counted the same on REST and GraphQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from harvest.settings import Settings
from models.generation import Generation
from tests.factories import make_user

LIMITS = {"free": {"generations_per_hour": 2, "concurrent_generations": 5}}
BLOG = {
    "format": "blog",
    "input": "Heat pumps for small offices",
    "options": {"length": "short"},
}
START = """
mutation ($input: GenerateInput!) { generationStart(input: $input) { id status } }
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(
        rate_limits={**LIMITS}, offline_writer_delay_seconds=0.0
    )


async def graphql_start(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": START, "variables": {"input": BLOG}},
        headers=headers,
    )
    return dict(response.json())


async def generations_of(app: Starlette, user_id: str) -> list[Generation]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(Generation).where(col(Generation.user_id) == user_id)
        )
    return list(rows.scalars())


async def test_rest_generation_starts_are_refused_past_the_hourly_limit(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="free")

    answers = [
        await client.post("/v1/generate", json=BLOG, headers=user.headers)
        for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[2]
    assert refused.headers["x-ratelimit-bucket"] == "generate"
    assert refused.headers["x-ratelimit-limit"] == "2"
    assert int(refused.headers["retry-after"]) > 60
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["limit"] == 2
    assert error["remaining"] == 0
    assert len(await generations_of(app, user.id)) == 2


async def test_graphql_generation_starts_are_refused_past_the_hourly_limit(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="free")

    answers = [await graphql_start(client, user.headers) for _ in range(3)]

    assert answers[0]["data"]["generationStart"]["id"].startswith("gen_")
    assert answers[1]["data"]["generationStart"]["id"].startswith("gen_")
    error = answers[2]["errors"][0]["extensions"]
    assert error["code"] == "RATE_LIMITED"
    assert error["limit"] == 2
    assert error["details"]["bucket"] == "generate"


async def test_rest_and_graphql_starts_share_the_hourly_bucket(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="free")

    await client.post("/v1/generate", json=BLOG, headers=user.headers)
    await graphql_start(client, user.headers)
    refused = await client.post("/v1/generate", json=BLOG, headers=user.headers)

    assert refused.status_code == 429
    assert refused.headers["x-ratelimit-bucket"] == "generate"


async def test_generations_running_at_once_are_capped_and_freed_when_done(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    app.state.parts.config.rate_limits["free"] = {
        "generations_per_hour": 10,
        "concurrent_generations": 1,
    }
    user = await make_user(app, tier="free")
    await set_writer_delay(app, 0.005)

    first = await graphql_start(client, user.headers)
    second = await graphql_start(client, user.headers)
    await wait_until_finished(app, first["data"]["generationStart"]["id"])
    third = await graphql_start(client, user.headers)

    assert second["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert second["errors"][0]["extensions"]["details"]["bucket"] == (
        "concurrent_generations"
    )
    assert third["data"]["generationStart"]["status"] == "queued"


async def test_a_cancelled_generation_frees_its_slot(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    app.state.parts.config.rate_limits["free"] = {
        "generations_per_hour": 10,
        "concurrent_generations": 1,
    }
    user = await make_user(app, tier="free")
    await set_writer_delay(app, 0.05)
    first = await graphql_start(client, user.headers)
    generation_id = first["data"]["generationStart"]["id"]

    await client.post(
        "/graphql",
        json={
            "query": "mutation ($id: ID!) { generationCancel(id: $id) { status } }",
            "variables": {"id": generation_id},
        },
        headers=user.headers,
    )
    second = await graphql_start(client, user.headers)

    assert second["data"]["generationStart"]["status"] == "queued"


async def set_writer_delay(app: Starlette, seconds: float) -> None:
    provider = app.state.parts.services.models.resolve(None).provider
    provider.delay_seconds = seconds


async def wait_until_finished(app: Starlette, generation_id: str) -> None:
    for _ in range(400):
        async with app.state.parts.db.session() as session:
            row = await session.get(Generation, generation_id)
        if row is not None and row.status in ("completed", "failed", "cancelled"):
            await asyncio.sleep(0.05)
            return
        await asyncio.sleep(0.05)
    raise AssertionError("generation did not finish")
