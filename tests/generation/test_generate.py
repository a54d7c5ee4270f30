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


async def test_get_shows_input_options_metadata_and_versions(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    made = await client.post(
        "/v1/generate",
        json={
            "format": "social_post",
            "input": "Our new bike lanes",
            "options": {"tone": "casual", "keywords": ["cycling"]},
            "metadata": {"project_id": "prj_1", "tags": ["city"]},
        },
        headers=user.headers,
    )
    generation_id = made.json()["generation"]["id"]

    response = await client.get(f"/v1/generate/{generation_id}", headers=user.headers)

    assert response.status_code == 200
    generation = response.json()["generation"]
    assert generation["id"] == generation_id
    assert generation["format"] == "social_post"
    assert generation["input"] == "Our new bike lanes"
    assert generation["options"]["tone"] == "casual"
    assert generation["options"]["keywords"] == ["cycling"]
    assert generation["options"]["model"] == "offline-writer"
    assert generation["metadata"] == {"project_id": "prj_1", "tags": ["city"]}
    assert "cycling" in generation["content"].lower()
    [version] = generation["versions"]
    assert version["version"] == 1
    assert version["content"] == generation["content"]
    assert version["created_at"].endswith("Z")


async def test_generate_counts_generations_today_in_the_usage_block(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    body = {
        "format": "ad_copy",
        "input": "Running shoes",
        "options": {"length": "short"},
    }

    first = await client.post("/v1/generate", json=body, headers=user.headers)
    second = await client.post("/v1/generate", json=body, headers=user.headers)

    assert first.json()["usage"]["generations_today"] == 1
    usage = second.json()["usage"]
    assert usage["generations_today"] == 2
    assert usage["generations_limit"] == 100
    spent = first.json()["generation"]["tokens_used"] + usage["tokens_used"]
    assert usage["tokens_remaining"] == 10_000 - spent
