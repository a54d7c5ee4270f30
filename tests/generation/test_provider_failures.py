"""Provider failures reach the caller with the spec's codes, and the
generation is stored as failed with the reason."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from models.generation import Generation
from tests.factories import make_user
from tests.peers.openai_server import ANSWER, COMPLETION_TOKENS, PROMPT_TOKENS


async def stored(app: Starlette, user_id: str) -> list[Generation]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(Generation).where(Generation.user_id == user_id)
        )
        return list(rows.scalars())


async def test_generate_through_the_openai_compatible_model(
    peer_app: Starlette, peer_client: httpx.AsyncClient
) -> None:
    user = await make_user(peer_app, tier="pro")

    response = await peer_client.post(
        "/v1/generate",
        json={"format": "blog", "input": "Energy", "options": {"model": "peer-echo"}},
        headers=user.headers,
    )

    assert response.status_code == 200, response.text
    generation = response.json()["generation"]
    assert generation["content"] == ANSWER
    assert generation["model"] == "peer-echo"
    assert generation["tokens_used"] == PROMPT_TOKENS + COMPLETION_TOKENS


@pytest.mark.parametrize(
    ("model", "status", "code"),
    [
        ("peer-error", 503, "SERVICE_UNAVAILABLE"),
        ("peer-ratelimit", 503, "SERVICE_UNAVAILABLE"),
        ("peer-slow", 504, "TIMEOUT"),
        ("peer-stall", 504, "TIMEOUT"),
        ("peer-filter", 400, "CONTENT_FILTERED"),
    ],
)
async def test_provider_failure_maps_to_the_spec_code_and_fails_the_generation(
    peer_app: Starlette,
    peer_client: httpx.AsyncClient,
    model: str,
    status: int,
    code: str,
) -> None:
    user = await make_user(peer_app, tier="pro")

    response = await peer_client.post(
        "/v1/generate",
        json={"format": "email", "input": "Hello", "options": {"model": model}},
        headers=user.headers,
    )

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    [row] = await stored(peer_app, user.id)
    assert row.status == "failed"
    assert row.error_code == code
    assert row.error_message
    shown = await peer_client.get(f"/v1/generate/{row.id}", headers=user.headers)
    assert shown.json()["generation"]["status"] == "failed"
    assert shown.json()["generation"]["error"] == {
        "code": code,
        "message": row.error_message,
    }


async def test_unconfigured_model_is_refused_with_the_configured_ones(
    peer_app: Starlette, peer_client: httpx.AsyncClient
) -> None:
    user = await make_user(peer_app)

    response = await peer_client.post(
        "/v1/generate",
        json={"format": "blog", "input": "x", "options": {"model": "gpt-9"}},
        headers=user.headers,
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "UNSUPPORTED_MODEL"
    assert "offline-writer" in error["details"]["supported_models"]
    assert "peer-echo" in error["details"]["supported_models"]
    assert await stored(peer_app, user.id) == []


async def test_without_openai_settings_only_the_offline_writer_exists(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/v1/generate",
        json={"format": "blog", "input": "x", "options": {"model": "gpt-4"}},
        headers=user.headers,
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["supported_models"] == ["offline-writer"]
