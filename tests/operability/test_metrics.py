"""``/metrics``: Prometheus text that moves with the traffic."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from tests.factories import make_user

GRAPHQL_PING = "query MetricsProbe { __typename }"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of ``text``, 0 when it is absent."""
    for family in text_string_to_metric_families(text):
        for item in family.samples:
            if item.name == name and all(
                item.labels.get(k) == v for k, v in labels.items()
            ):
                return float(item.value)
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_request_counter_moves_by_route_template(
    client: httpx.AsyncClient,
) -> None:
    before = await scrape(client)

    await client.get("/healthz")
    await client.get("/healthz")
    after = await scrape(client)

    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    moved = sample(after, "harvest_http_requests_total", **labels) - sample(
        before, "harvest_http_requests_total", **labels
    )
    assert moved == 2
    assert (
        sample(
            after,
            "harvest_http_request_duration_seconds_count",
            method="GET",
            route="/healthz",
        )
        >= 2
    )


async def test_graphql_requests_are_labelled_with_the_operation_name(
    client: httpx.AsyncClient,
) -> None:
    labels = {"route": "/graphql", "operation": "MetricsProbe", "status": "200"}
    before = sample(await scrape(client), "harvest_http_requests_total", **labels)

    response = await client.post("/graphql", json={"query": GRAPHQL_PING})
    after = sample(await scrape(client), "harvest_http_requests_total", **labels)

    assert response.status_code == 200
    assert after - before == 1


async def test_unknown_paths_share_one_label(client: httpx.AsyncClient) -> None:
    await client.get("/no/such/page/123")

    text = await scrape(client)

    assert "/no/such/page/123" not in text
    assert sample(text, "harvest_http_requests_total", route="unmatched") >= 1


async def test_job_queue_gauges_are_exposed(client: httpx.AsyncClient) -> None:
    text = await scrape(client)

    assert 'harvest_jobs{status="queued"}' in text
    assert "harvest_job_queue_oldest_age_seconds" in text


async def test_a_generation_moves_the_generation_and_token_counters(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    before = await scrape(client)

    response = await client.post(
        "/v1/generate",
        json={"format": "blog", "input": "Metrics for a small bakery"},
        headers=user.headers,
    )
    after = await scrape(client)

    assert response.status_code == 200, response.text
    generation = response.json()["generation"]
    labels = {"model": generation["model"], "format": "blog"}
    done = {**labels, "status": "completed"}
    assert delta(before, after, "harvest_generations_total", **done) == 1
    assert (
        delta(before, after, "harvest_generation_tokens_total", **labels)
        == generation["tokens_used"]
    )
    route = {"method": "POST", "route": "/v1/generate", "status": "200"}
    assert delta(before, after, "harvest_http_requests_total", **route) == 1


def delta(before: str, after: str, name: str, **labels: str) -> float:
    return sample(after, name, **labels) - sample(before, name, **labels)
