"""Idempotency-Key: one side effect per key, the first answer replayed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select
from starlette.applications import Starlette

from harvest.settings import Settings
from models.generation import Batch, Generation
from models.idempotency import IdempotencyRecord
from models.team import Team
from models.template import Template
from models.user import ApiKey
from models.webhook import WebhookEndpoint
from tests.factories import make_user
from tests.template.factories import EMAIL_CAMPAIGN

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


POSTS: dict[str, tuple[str, dict[str, Any], Any, Any, tuple[str, ...]]] = {
    "webhook": (
        "/v1/webhooks",
        {"url": "https://93.184.215.14/hook"},
        WebhookEndpoint,
        WebhookEndpoint.user_id,
        ("secret",),
    ),
    "team": ("/v1/teams", {"name": "Once Only"}, Team, Team.owner_id, ()),
    "api_key": (
        "/v1/users/me/api-keys",
        {"name": "ci", "permissions": ["read"]},
        ApiKey,
        ApiKey.user_id,
        ("api_key", "key"),
    ),
    "template": ("/v1/templates", EMAIL_CAMPAIGN, Template, Template.author_id, ()),
    "batch": (
        "/v1/generate/batch",
        {"batch": [{"format": "summary", "input": "Short text to sum up. " * 4}]},
        Batch,
        Batch.user_id,
        (),
    ),
}
"""Per POST route: path, body, the table it adds to, its owner column, and
where its body shows a credential once (which a replay leaves out)."""


def take(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    """Remove and return the value at ``path`` (nothing for an empty path)."""
    if not path:
        return None
    *parents, last = path
    for name in parents:
        body = body[name]
    return body.pop(last)


async def rows_of(app: Starlette, table: Any, owner: Any, user_id: str) -> int:
    async with app.state.parts.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(table).where(col(owner) == user_id)
        )
    return int(count or 0)


@pytest.mark.parametrize("name", list(POSTS))
async def test_every_post_route_runs_once_per_key(
    app: Starlette, client: httpx.AsyncClient, name: str
) -> None:
    path, body, table, owner, shown_once = POSTS[name]
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": f"once-{name}"}

    first = await client.post(path, json=body, headers=headers)
    second = await client.post(path, json=body, headers=headers)

    assert first.status_code in (201, 202), first.text
    assert second.status_code == first.status_code
    assert second.headers["idempotent-replayed"] == "true"
    answered, replayed = first.json(), second.json()
    credential = take(answered, shown_once)
    assert take(replayed, shown_once) is None
    assert replayed == answered
    assert credential is None or credential.startswith(("whsec_", "hv_"))
    assert await rows_of(app, table, owner, user.id) == 1


async def test_a_graphql_mutation_other_than_generation_runs_once(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "gql-webhook"}
    body = {
        "query": "mutation ($i: WebhookEndpointCreateInput!) "
        "{ webhookEndpointCreate(input: $i) { id secret } }",
        "variables": {"i": {"url": "https://93.184.215.14/gql"}},
    }

    first = await client.post("/graphql", json=body, headers=headers)
    second = await client.post("/graphql", json=body, headers=headers)

    assert second.headers["idempotent-replayed"] == "true"
    created = first.json()["data"]["webhookEndpointCreate"]
    replayed = second.json()["data"]["webhookEndpointCreate"]
    assert replayed == {"id": created["id"], "secret": None}
    assert created["secret"].startswith("whsec_")
    assert await rows_of(app, WebhookEndpoint, WebhookEndpoint.user_id, user.id) == 1


async def test_a_credential_is_neither_stored_with_the_key_nor_replayed(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "new-key"}
    body = {"name": "deploy", "permissions": ["read", "write"]}

    first = await client.post("/v1/users/me/api-keys", json=body, headers=headers)
    second = await client.post("/v1/users/me/api-keys", json=body, headers=headers)
    async with app.state.parts.db.session() as session:
        [record] = (await session.execute(select(IdempotencyRecord))).scalars().all()

    key = first.json()["api_key"]["key"]
    assert key.startswith("hv_")
    assert key not in record.response_body
    assert second.json()["api_key"]["key"] is None
    assert second.json()["api_key"]["id"] == first.json()["api_key"]["id"]
    authed = await client.get(
        "/v1/users/me", headers={"Authorization": f"Bearer {key}"}
    )
    assert authed.status_code == 200


async def test_a_key_is_kept_24_hours_and_is_free_again_after(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "a-day-long"}
    await client.post("/v1/generate", json=BLOG, headers=headers)
    async with app.state.parts.db.session() as session:
        [record] = (await session.execute(select(IdempotencyRecord))).scalars().all()
        kept_for = record.expires_at - record.created_at
        record.created_at -= timedelta(hours=24, seconds=1)
        record.expires_at -= timedelta(hours=24, seconds=1)
        await session.commit()

    after_a_day = await client.post("/v1/generate", json=BLOG, headers=headers)

    assert kept_for == timedelta(hours=24)
    assert after_a_day.status_code == 200
    assert "idempotent-replayed" not in after_a_day.headers
    assert await generation_count(app, user.id) == 2


async def test_a_second_request_while_the_first_runs_is_a_conflict(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    headers = {**user.headers, "Idempotency-Key": "slow-one"}
    app.state.parts.services.models.resolve(None).provider.delay_seconds = 0.02

    first = asyncio.create_task(client.post("/v1/generate", json=BLOG, headers=headers))
    while not await records_in_progress(app):
        await asyncio.sleep(0.01)
    second = await client.post("/v1/generate", json=BLOG, headers=headers)
    await first

    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "CONFLICT"
    assert error["details"] == {"field": "Idempotency-Key", "reason": "in_progress"}
    assert second.headers["retry-after"] == "1"
    assert (await first).status_code == 200
    assert await generation_count(app, user.id) == 1


async def records_in_progress(app: Starlette) -> int:
    async with app.state.parts.db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(IdempotencyRecord)
            .where(col(IdempotencyRecord.status) == "in_progress")
        )
    return int(count or 0)
