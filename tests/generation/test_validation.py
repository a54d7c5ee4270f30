"""Each refusal of a generate request is a VALIDATION_ERROR naming the field."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.factories import make_user

BAD = [
    ({"format": "poem", "input": "x"}, "format"),
    ({"format": "blog", "input": "   "}, "input"),
    ({"format": "blog", "input": "x" * 20_001}, "input"),
    (
        {"format": "blog", "input": "x", "options": {"temperature": 2.5}},
        "options.temperature",
    ),
    (
        {"format": "blog", "input": "x", "options": {"temperature": "hot"}},
        "options.temperature",
    ),
    (
        {"format": "blog", "input": "x", "options": {"max_tokens": 0}},
        "options.max_tokens",
    ),
    (
        {"format": "blog", "input": "x", "options": {"max_tokens": 9_000}},
        "options.max_tokens",
    ),
    ({"format": "blog", "input": "x", "options": {"length": "epic"}}, "options.length"),
    ({"format": "blog", "input": "x", "options": {"tone": "angry"}}, "options.tone"),
    (
        {"format": "blog", "input": "x", "options": {"language": "english!"}},
        "options.language",
    ),
    (
        {"format": "blog", "input": "x", "options": {"audience": "a" * 101}},
        "options.audience",
    ),
    ({"format": "blog", "input": "x", "options": {"style": ""}}, "options.style"),
    (
        {"format": "blog", "input": "x", "options": {"keywords": "solar"}},
        "options.keywords",
    ),
    (
        {"format": "blog", "input": "x", "options": {"keywords": ["k"] * 21}},
        "options.keywords",
    ),
    ({"format": "blog", "input": "x", "options": {"colour": "red"}}, "options.colour"),
    ({"format": "blog", "input": "x", "metadata": {"team_id": 7}}, "metadata.team_id"),
    ({"format": "blog", "input": "x", "metadata": {"blob": "x" * 9_000}}, "metadata"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
async def test_bad_request_is_refused_naming_the_field(
    app: Starlette, client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    user = await make_user(app)

    response = await client.post("/v1/generate", json=body, headers=user.headers)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == field


async def test_missing_input_is_refused_naming_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post(
        "/v1/generate", json={"format": "blog"}, headers=user.headers
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "input"
