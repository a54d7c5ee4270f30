"""Idempotency-Key: one side effect per key, the first answer replayed."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlmodel import col, func, select
from starlette.applications import Starlette

from harvest.settings import Settings
from models.generation import Generation
from tests.factories import make_user

BLOG = {
    "format": "blog",
    "input": "Solar panels on warehouse roofs",
    "options": {"length": "short"},
}
GENERATION_START = """
mutation ($input: GenerateInput!) { generationStart(input: $input) { id } }
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(offline_writer_delay_seconds=0.0)


def slow_down_the_writer(app: Starlette) -> None:
    app.state.parts.services.models.resolve(None).provider.delay_seconds = 0.005


async def generation_count(app: Starlette, user_id: str) -> int:
    async with app.state.parts.db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Generation)
            .where(col(Generation.user_id) == user_id)
        )
    return int(count or 0)


async def test_the_same_post_twice_runs_once_and_replays_the_first_answer(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "gen-once-1"}

    first = await client.post("/v1/generate", json=BLOG, headers=headers)
    second = await client.post("/v1/generate", json=BLOG, headers=headers)

    assert first.status_code == 200
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert second.headers["content-type"] == "application/json"
    assert await generation_count(app, user.id) == 1


async def test_twenty_identical_posts_at_once_make_exactly_one_generation(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "gen-burst-1"}
    slow_down_the_writer(app)

    answers = await asyncio.gather(
        *(client.post("/v1/generate", json=BLOG, headers=headers) for _ in range(20))
    )

    statuses = sorted(a.status_code for a in answers)
    assert await generation_count(app, user.id) == 1
    assert set(statuses) == {200, 409}
    conflicts = [a for a in answers if a.status_code == 409]
    assert all(a.json()["error"]["code"] == "CONFLICT" for a in conflicts)
    assert all(a.headers["retry-after"] for a in conflicts)
    ids = {a.json()["generation"]["id"] for a in answers if a.status_code == 200}
    assert len(ids) == 1


async def test_a_retry_after_the_burst_gets_the_first_answer(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "gen-burst-2"}
    answers = await asyncio.gather(
        *(client.post("/v1/generate", json=BLOG, headers=headers) for _ in range(20))
    )
    winner = next(a for a in answers if a.status_code == 200)

    retry = await client.post("/v1/generate", json=BLOG, headers=headers)

    assert retry.status_code == 200
    assert retry.json() == winner.json()
    assert await generation_count(app, user.id) == 1


async def test_reusing_a_key_for_a_different_request_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "gen-reuse"}
    await client.post("/v1/generate", json=BLOG, headers=headers)

    other = await client.post(
        "/v1/generate", json={**BLOG, "input": "Something else"}, headers=headers
    )

    assert other.status_code == 400
    error = other.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == "Idempotency-Key"
    assert await generation_count(app, user.id) == 1


async def test_keys_belong_to_their_caller(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    first = await make_user(app, tier="pro")
    second = await make_user(app, tier="pro")

    await client.post(
        "/v1/generate", json=BLOG, headers={**first.headers, "Idempotency-Key": "k"}
    )
    theirs = await client.post(
        "/v1/generate", json=BLOG, headers={**second.headers, "Idempotency-Key": "k"}
    )

    assert "idempotent-replayed" not in theirs.headers
    assert await generation_count(app, second.id) == 1


async def test_graphql_mutations_honour_the_key(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "gql-once"}
    body = {"query": GENERATION_START, "variables": {"input": BLOG}}

    first = await client.post("/graphql", json=body, headers=headers)
    second = await client.post("/graphql", json=body, headers=headers)

    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert await generation_count(app, user.id) == 1


async def test_graphql_mutations_at_once_make_exactly_one_generation(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "gql-burst"}
    slow_down_the_writer(app)
    body = {"query": GENERATION_START, "variables": {"input": BLOG}}

    answers = await asyncio.gather(
        *(client.post("/graphql", json=body, headers=headers) for _ in range(20))
    )

    assert await generation_count(app, user.id) == 1
    assert {a.status_code for a in answers} <= {200, 409}


async def test_a_post_without_a_key_is_not_deduplicated(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")

    await client.post("/v1/generate", json=BLOG, headers=user.headers)
    await client.post("/v1/generate", json=BLOG, headers=user.headers)

    assert await generation_count(app, user.id) == 2


async def test_an_unusable_key_is_a_validation_error(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")

    response = await client.post(
        "/v1/generate",
        json=BLOG,
        headers={**user.headers, "Idempotency-Key": "x" * 300},
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "Idempotency-Key"
    assert await generation_count(app, user.id) == 0


async def test_a_refused_request_is_replayed_as_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "after-a-fix"}
    bad = await client.post(
        "/v1/generate", json={**BLOG, "format": "sonnet"}, headers=headers
    )

    same_bad = await client.post(
        "/v1/generate", json={**BLOG, "format": "sonnet"}, headers=headers
    )

    assert bad.status_code == 400
    assert same_bad.status_code == 400
    assert same_bad.headers["idempotent-replayed"] == "true"
