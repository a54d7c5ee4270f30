"""gzip, CORS, X-API-Version and pagination, on a live server."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from harvest.settings import Settings, load_settings
from tests.factories import make_user
from tests.support import LiveServer

BLOG = {
    "format": "blog",
    "input": "Wind power for farms",
    "options": {"length": "short"},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(
        cors_origins=("https://partner.example",), offline_writer_delay_seconds=0.0
    )


def preflight(origin: str, method: str = "POST", headers: str = "") -> dict[str, str]:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return asked


def test_responses_are_gzipped_when_asked(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        zipped = client.get("/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
        plain = client.get("/v1/openapi.json", headers={"Accept-Encoding": "identity"})

    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content)
    assert zipped.json() == plain.json()
    assert "content-encoding" not in plain.headers


def test_gzipped_body_is_real_gzip(live_server: LiveServer) -> None:
    with (
        httpx.Client(base_url=live_server.url) as client,
        client.stream(
            "GET", "/v1/openapi.json", headers={"Accept-Encoding": "gzip"}
        ) as response,
    ):
        raw = b"".join(response.iter_raw())

    assert gzip.decompress(raw).startswith(b"{")


async def test_event_streams_are_never_gzipped(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")

    async with (
        httpx.AsyncClient(base_url=live_server.url, timeout=30) as client,
        client.stream(
            "POST",
            "/v1/generate/stream",
            json=BLOG,
            headers={**user.headers, "Accept-Encoding": "gzip"},
        ) as response,
    ):
        body = b"".join([chunk async for chunk in response.aiter_raw()])

    assert response.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in response.headers
    assert b"data:" in body


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.harvest.ai",
        "https://eu.api.harvest.ai",
        "http://localhost:3000",
        "http://localhost",
        "https://partner.example",
    ],
)
def test_preflight_from_an_allowed_origin_is_accepted(
    live_server: LiveServer, origin: str
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        response = client.options(
            "/v1/generate",
            headers=preflight(
                origin, headers="authorization,content-type,idempotency-key"
            ),
        )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "idempotency-key" in allowed
    assert "x-api-version" in allowed


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://app.harvest.ai",
        "https://harvest.ai.evil.example",
        "https://evilharvest.ai",
        "http://localhost.evil.example:3000",
    ],
)
def test_preflight_from_another_origin_is_refused(
    live_server: LiveServer, origin: str
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        response = client.options("/v1/generate", headers=preflight(origin))

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == "Origin"


def test_preflight_asking_for_an_unknown_header_is_refused(
    live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        response = client.options(
            "/v1/generate",
            headers=preflight("https://app.harvest.ai", headers="x-secret-sauce"),
        )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == (
        "Access-Control-Request-Headers"
    )


def test_simple_requests_expose_the_platform_headers(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        allowed = client.get(
            "/v1/openapi.json", headers={"Origin": "https://app.harvest.ai"}
        )
        refused = client.get(
            "/v1/openapi.json", headers={"Origin": "https://evil.example"}
        )

    assert allowed.headers["access-control-allow-origin"] == "https://app.harvest.ai"
    exposed = allowed.headers["access-control-expose-headers"].lower()
    assert "x-ratelimit-remaining" in exposed
    assert "idempotent-replayed" in exposed
    assert "x-request-id" in exposed
    assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("version", ["1", "1.0", "1.0.0"])
def test_supported_api_versions_are_accepted(
    live_server: LiveServer, version: str
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        response = client.get("/v1/openapi.json", headers={"X-API-Version": version})

    assert response.status_code == 200
    assert response.headers["x-api-version"] == "1.0.0"


@pytest.mark.parametrize("version", ["2", "1.1", "0.9", "v2", "latest", ""])
def test_an_unsupported_api_version_names_the_header(
    live_server: LiveServer, version: str
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        response = client.get("/v1/openapi.json", headers={"X-API-Version": version})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == "X-API-Version"
    assert "1.0.0" in error["message"]


def test_a_refused_version_is_counted_and_carries_every_platform_header(
    live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        accepted = client.get("/v1/openapi.json")
        refused = client.get("/v1/openapi.json", headers={"X-API-Version": "2"})

    assert refused.status_code == 400
    assert refused.headers["x-api-version"] == "1.0.0"
    assert refused.headers["x-ratelimit-bucket"] == "api_general"
    assert int(refused.headers["x-ratelimit-remaining"]) == (
        int(accepted.headers["x-ratelimit-remaining"]) - 1
    )
    assert refused.headers["x-request-id"].startswith("req_")


def test_an_unsupported_api_version_is_refused_on_graphql_too(
    live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        response = client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"X-API-Version": "3"},
        )

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert error["extensions"]["details"]["field"] == "X-API-Version"


async def test_history_is_paginated_as_the_spec_says(
    app: Starlette, live_server: LiveServer
) -> None:
    user = await make_user(app, tier="pro")
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        for _ in range(3):
            await client.post("/v1/generate", json=BLOG, headers=user.headers)

        first = await client.get(
            "/v1/generate/history",
            params={"page": 1, "limit": 2, "sort": "created_at", "order": "asc"},
            headers=user.headers,
        )
        last = await client.get(
            "/v1/generate/history", params={"page": 2, "limit": 2}, headers=user.headers
        )
        too_many = await client.get(
            "/v1/generate/history", params={"limit": 101}, headers=user.headers
        )

    assert first.json()["pagination"] == {
        "page": 1,
        "limit": 2,
        "total_items": 3,
        "total_pages": 2,
        "has_next": True,
        "has_previous": False,
    }
    assert len(first.json()["generations"]) == 2
    assert last.json()["pagination"]["has_next"] is False
    assert last.json()["pagination"]["has_previous"] is True
    assert len(last.json()["generations"]) == 1
    assert too_many.status_code == 400
    assert too_many.json()["error"]["details"]["field"] == "limit"


def test_origins_named_in_harvest_cors_origins_are_allowed(
    settings: Settings, tmp_path: Path
) -> None:
    from_env = load_settings(
        {
            "HARVEST_ENV": "test",
            "HARVEST_DATABASE_URL": settings.database_url,
            "HARVEST_SECRET_KEY": settings.secret_key,
            "HARVEST_VAR_DIR": str(tmp_path / "from-env"),
            "HARVEST_CORS_ORIGINS": "https://one.example, https://two.example:8443",
        }
    )
    server = LiveServer(
        replace(
            from_env,
            redis_url=settings.redis_url,
            rate_limit_namespace=settings.rate_limit_namespace,
        )
    )
    server.start()
    try:
        with httpx.Client(base_url=server.url) as client:
            answers = {
                origin: client.options("/v1/generate", headers=preflight(origin))
                for origin in (
                    "https://one.example",
                    "https://two.example:8443",
                    "https://two.example",
                    "https://three.example",
                )
            }
    finally:
        server.stop()

    assert answers["https://one.example"].status_code == 200
    assert answers["https://two.example:8443"].headers[
        "access-control-allow-origin"
    ] == ("https://two.example:8443")
    assert answers["https://two.example"].status_code == 400
    assert answers["https://three.example"].status_code == 400
