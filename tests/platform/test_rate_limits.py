"""Rate limits: each bucket refuses at exactly its number, on every surface."""

from __future__ import annotations

import httpx
import pytest

from harvest.settings import Settings
from tests.factories import make_user

LIMITS = {
    "free": {"requests_per_minute": 3},
    "anonymous": {"requests_per_minute": 2},
    "auth": {"requests_per_minute": 2},
}
TYPENAME = {"query": "{ __typename }"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(rate_limits=LIMITS)


async def test_rest_requests_are_refused_past_the_tier_limit(
    client: httpx.AsyncClient, app: object
) -> None:
    user = await make_user(app, tier="free")  # type: ignore[arg-type]

    answers = [
        await client.get("/v1/openapi.json", headers=user.headers) for _ in range(4)
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[3]
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert refused.headers["x-ratelimit-bucket"] == "api_general"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["limit"] == 3
    assert error["remaining"] == 0
    assert error["retry_after"] == int(refused.headers["retry-after"])
    assert error["reset_at"].endswith("Z")
    assert error["message"]


async def test_every_response_carries_the_rate_limit_headers(
    client: httpx.AsyncClient, app: object
) -> None:
    user = await make_user(app, tier="free")  # type: ignore[arg-type]

    response = await client.get("/v1/no-such-route", headers=user.headers)

    assert response.status_code == 404
    assert response.headers["x-ratelimit-limit"] == "3"
    assert response.headers["x-ratelimit-remaining"] == "2"
    assert response.headers["x-ratelimit-bucket"] == "api_general"
    reset_after = int(response.headers["x-ratelimit-reset-after"])
    assert 1 <= reset_after <= 60
    assert int(response.headers["x-ratelimit-reset"]) > 1_700_000_000


async def test_graphql_requests_are_refused_past_the_tier_limit(
    client: httpx.AsyncClient, app: object
) -> None:
    user = await make_user(app, tier="free")  # type: ignore[arg-type]

    answers = [
        await client.post("/graphql", json=TYPENAME, headers=user.headers)
        for _ in range(4)
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    error = answers[3].json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == 3
    assert answers[3].headers["retry-after"]


async def test_rest_and_graphql_draw_on_the_same_bucket(
    client: httpx.AsyncClient, app: object
) -> None:
    user = await make_user(app, tier="free")  # type: ignore[arg-type]

    await client.get("/v1/openapi.json", headers=user.headers)
    await client.post("/graphql", json=TYPENAME, headers=user.headers)
    await client.get("/v1/openapi.json", headers=user.headers)
    refused = await client.post("/graphql", json=TYPENAME, headers=user.headers)

    assert refused.status_code == 429


async def test_each_account_has_its_own_bucket(
    client: httpx.AsyncClient, app: object
) -> None:
    first = await make_user(app, tier="free")  # type: ignore[arg-type]
    second = await make_user(app, tier="free")  # type: ignore[arg-type]
    for _ in range(3):
        await client.get("/v1/openapi.json", headers=first.headers)

    response = await client.get("/v1/openapi.json", headers=second.headers)

    assert response.status_code == 200


async def test_a_higher_tier_gets_its_own_number(
    client: httpx.AsyncClient, app: object
) -> None:
    user = await make_user(app, tier="pro")  # type: ignore[arg-type]

    response = await client.get("/v1/openapi.json", headers=user.headers)

    assert response.headers["x-ratelimit-limit"] == "500"


async def test_anonymous_requests_are_limited_per_client_address(
    client: httpx.AsyncClient,
) -> None:
    answers = [await client.get("/v1/openapi.json") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]


async def test_a_bad_token_counts_against_the_client_address(
    client: httpx.AsyncClient,
) -> None:
    bad = {"Authorization": "Bearer not-a-token"}

    answers = [await client.get("/v1/openapi.json", headers=bad) for _ in range(3)]

    assert answers[2].status_code == 429


CREDENTIAL_CALLS = {
    "/v1/auth/login": {"email": "nobody@example.com", "password": "wrong password 1"},
    "/v1/auth/signup": {
        "email": "new.person@example.com",
        "password": "a long enough password 1",
        "name": "New Person",
    },
    "/v1/auth/forgot-password": {"email": "nobody@example.com"},
}


@pytest.mark.parametrize("path", list(CREDENTIAL_CALLS))
async def test_credential_routes_are_limited_per_client_address(
    client: httpx.AsyncClient, app: object, path: str
) -> None:
    first = await make_user(app, tier="pro")  # type: ignore[arg-type]
    second = await make_user(app, tier="enterprise")  # type: ignore[arg-type]
    body = CREDENTIAL_CALLS[path]

    answers = [
        await client.post(path, json=body, headers=first.headers),
        await client.post(path, json=body, headers=second.headers),
        await client.post(path, json=body),
    ]
    elsewhere = await client.get("/v1/openapi.json", headers=first.headers)

    assert all(a.status_code != 429 for a in answers[:2])
    assert answers[2].status_code == 429
    assert answers[2].headers["x-ratelimit-bucket"] == "auth"
    assert answers[2].headers["x-ratelimit-limit"] == "2"
    assert answers[2].json()["error"]["code"] == "RATE_LIMITED"
    assert elsewhere.status_code == 200


async def test_health_probes_are_not_counted(client: httpx.AsyncClient) -> None:
    answers = [await client.get("/healthz") for _ in range(5)]

    assert all(a.status_code == 200 for a in answers)
