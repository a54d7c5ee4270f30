"""Webhook factories: an endpoint registered through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import UserHandle


async def make_endpoint(
    client: httpx.AsyncClient,
    owner: UserHandle,
    url: str,
    *,
    events: list[str] | None = None,
) -> dict[str, Any]:
    """Register ``url`` for ``owner``; the result includes the one-time secret."""
    body: dict[str, Any] = {"url": url}
    if events is not None:
        body["events"] = events
    response = await client.post("/v1/webhooks", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())
