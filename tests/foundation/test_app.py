"""The skeleton answers: health, readiness, ids, the envelope for every failure."""

from __future__ import annotations

import httpx

from tests.support import LiveServer


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.headers["x-request-id"].startswith("req_")


async def test_a_sane_client_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


async def test_an_unsafe_client_request_id_is_replaced(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "a b\tc<script>"})

    assert response.headers["x-request-id"].startswith("req_")


async def test_unknown_route_answers_not_found_in_the_envelope(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/nope")

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "NOT_FOUND"
    assert error["message"]
    assert error["request_id"] == response.headers["x-request-id"]


async def test_wrong_method_answers_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/openapi.json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert "GET" in response.headers["allow"]


async def test_graphql_errors_carry_code_and_request_id(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", json={"query": "{ nope }"})

    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert error["extensions"]["request_id"] == response.headers["x-request-id"]


async def test_graphql_answers_a_query(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ serverInfo { apiVersion serverTime } }"}
    )

    info = response.json()["data"]["serverInfo"]
    assert info["apiVersion"] == "1.0.0"
    assert info["serverTime"].endswith("Z")


def test_live_server_serves_health_over_real_http(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url + "/healthz")

    assert response.status_code == 200
