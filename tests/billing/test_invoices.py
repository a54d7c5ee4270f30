"""Listing invoices."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.factories import make_user


async def test_invoices_lists_each_charge_newest_first_in_the_spec_shape(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "pro", "payment_method_id": "pm_card_visa"},
    )
    await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={"tier": "enterprise", "coupon_code": "SAVE20"},
    )

    response = await client.get("/v1/billing/invoices", headers=user.headers)

    assert response.status_code == 200
    invoices = response.json()["invoices"]
    assert [i["amount"] for i in invoices] == [7920, 2900]
    assert set(invoices[0]) == {
        "id",
        "number",
        "amount",
        "currency",
        "status",
        "pdf_url",
        "created_at",
    }
    assert invoices[0]["number"].startswith("INV-")
    assert invoices[0]["created_at"].endswith("Z")


async def test_invoices_are_only_the_callers(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    payer = await make_user(app)
    other = await make_user(app)
    await client.post(
        "/v1/billing/subscribe",
        headers=payer.headers,
        json={"tier": "pro", "payment_method_id": "pm_card_visa"},
    )

    response = await client.get("/v1/billing/invoices", headers=other.headers)

    assert response.json()["invoices"] == []


async def test_invoices_refuse_a_limit_over_100(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.get("/v1/billing/invoices?limit=500", headers=user.headers)

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "limit"


async def test_graphql_invoices_match_rest(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    await client.post(
        "/v1/billing/subscribe",
        headers=user.headers,
        json={
            "tier": "pro",
            "payment_method_id": "pm_card_visa",
            "coupon_code": "SAVE20",
        },
    )
    rest = await client.get("/v1/billing/invoices", headers=user.headers)

    response = await client.post(
        "/graphql",
        headers=user.headers,
        json={
            "query": "{ invoices(limit: 20) { invoices { id number amount"
            " currency status pdfUrl createdAt } totalItems } }"
        },
    )

    listed = response.json()["data"]["invoices"]
    (shown,) = rest.json()["invoices"]
    assert listed["totalItems"] == 1
    assert listed["invoices"] == [
        {
            "id": shown["id"],
            "number": shown["number"],
            "amount": 2320,
            "currency": "usd",
            "status": "paid",
            "pdfUrl": None,
            "createdAt": shown["created_at"],
        }
    ]
