"""``/metrics``: Prometheus text that moves with the traffic."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

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
