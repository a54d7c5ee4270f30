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
    ({"format": "blog", "input": "x", "options": ["tone"]}, "options"),
    (
        {"format": "blog", "input": "x", "options": {"keywords": ["k" * 51]}},
        "options.keywords",
    ),
    ({"format": "blog", "input": "x", "options": {"model": " "}}, "options.model"),
    ({"format": "blog", "input": "x", "metadata": ["tag"]}, "metadata"),
    ({"format": "blog", "input": "x", "metadata": {"team_id": 7}}, "metadata.team_id"),
    ({"format": "blog", "input": "x", "metadata": {"blob": "x" * 9_000}}, "metadata"),
]


GENERATE = """
mutation ($input: GenerateInput!) { generate(input: $input) { generation { id } } }
"""


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


@pytest.mark.parametrize("route", ["/v1/generate", "/v1/generate/stream"])
async def test_both_rest_routes_name_the_field(
    app: Starlette, client: httpx.AsyncClient, route: str
) -> None:
    user = await make_user(app)
    body = {"format": "blog", "input": "x", "options": {"temperature": -1}}

    response = await client.post(route, json=body, headers=user.headers)

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "options.temperature"


async def test_graphql_refusal_names_the_field_in_its_details(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    variables = {
        "input": {"format": "blog", "input": "x", "options": {"length": "epic"}}
    }

    response = await client.post(
        "/graphql",
        json={"query": GENERATE, "variables": variables},
        headers=user.headers,
    )

    extensions = response.json()["errors"][0]["extensions"]
    assert extensions["code"] == "VALIDATION_ERROR"
    assert extensions["details"]["field"] == "options.length"
