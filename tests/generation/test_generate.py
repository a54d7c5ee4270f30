"""POST /v1/generate and the generate mutation, on the offline writer."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.factories import make_user

GENERATE = """
mutation ($input: GenerateInput!) {
  generate(input: $input) {
    generation { id status content wordCount tokensUsed model versions { version } }
    usage { tokensUsed generationsToday }
  }
}
"""


async def test_generate_returns_the_stored_generation_and_usage(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")

    response = await client.post(
        "/v1/generate",
        json={
            "format": "blog",
            "input": "The future of renewable energy",
            "options": {"tone": "professional", "length": "short"},
        },
        headers=user.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    generation = body["generation"]
    assert generation["id"].startswith("gen_")
    assert generation["status"] == "completed"
    assert generation["content"].startswith("# ")
    assert generation["word_count"] == len(generation["content"].split())
    assert generation["tokens_used"] > 0
    assert generation["model"] == "offline-writer"
    assert generation["processing_time_ms"] >= 0
    assert set(body["usage"]) == {
        "tokens_used",
        "tokens_remaining",
        "generations_today",
        "generations_limit",
    }
    assert body["usage"]["tokens_used"] == generation["tokens_used"]
    assert body["usage"]["generations_today"] == 1
    assert body["usage"]["generations_limit"] == 1000
    assert body["usage"]["tokens_remaining"] == 100_000 - generation["tokens_used"]


async def test_generate_mutation_stores_version_one(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/graphql",
        json={
            "query": GENERATE,
            "variables": {"input": {"format": "email", "input": "Team offsite"}},
        },
        headers=user.headers,
    )

    data = response.json()["data"]["generate"]
    assert data["generation"]["status"] == "completed"
    assert data["generation"]["content"].startswith("Subject: ")
    assert data["generation"]["versions"] == [{"version": 1}]
    assert data["usage"]["generationsToday"] == 1
