"""The limits are the billing tier table's own numbers: no override in these
tests, each bucket refuses at exactly the number the table gives the tier."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from harvest.settings import Settings
from resolvers.context import AppConfig
from resolvers.ratelimit import limit_for
from resolvers.tiers import TIERS
from tests.factories import make_user

BLOG = {"format": "blog", "input": "Rainwater tanks", "options": {"length": "short"}}
START = "mutation ($i: GenerateInput!) { generationStart(input: $i) { id status } }"
LIMITED = (
    "requests_per_minute",
    "generations_per_hour",
    "concurrent_generations",
    "websocket_connections",
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(rate_limits={}, offline_writer_delay_seconds=0.0)


@pytest.mark.parametrize("tier", list(TIERS))
@pytest.mark.parametrize("name", LIMITED)
def test_every_limit_reads_the_tier_table(tier: str, name: str) -> None:
    config = AppConfig(secret_key="k" * 40, public_url="http://testserver")

    assert limit_for(config, tier, name) == getattr(TIERS[tier], name)


async def test_free_requests_are_refused_at_the_hundred_and_first(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="free")
    allowed = TIERS["free"].requests_per_minute

    statuses = []
    for index in range(allowed + 1):
        if index % 2:
            answer = await client.post(
                "/graphql", json={"query": "{ __typename }"}, headers=user.headers
            )
        else:
            answer = await client.get("/v1/openapi.json", headers=user.headers)
        statuses.append(answer.status_code)

    assert statuses == [200] * allowed + [429]
    assert answer.headers["x-ratelimit-limit"] == str(allowed)


async def test_free_generation_starts_are_refused_at_the_eleventh(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="free")
    allowed = TIERS["free"].generations_per_hour

    statuses = [
        (await client.post("/v1/generate", json=BLOG, headers=user.headers)).status_code
        for _ in range(allowed + 1)
    ]

    assert statuses == [200] * allowed + [429]


async def test_a_second_free_generation_at_once_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="free")
    app.state.parts.services.models.resolve(None).provider.delay_seconds = 0.05
    body = {"query": START, "variables": {"i": BLOG}}

    first = await client.post("/graphql", json=body, headers=user.headers)
    second = await client.post("/graphql", json=body, headers=user.headers)

    assert TIERS["free"].concurrent_generations == 1
    assert first.json()["data"]["generationStart"]["status"] == "queued"
    refusal = second.json()["errors"][0]["extensions"]
    assert refusal["code"] == "RATE_LIMITED"
    assert refusal["details"]["bucket"] == "concurrent_generations"
    assert refusal["limit"] == 1
