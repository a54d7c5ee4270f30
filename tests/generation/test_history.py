"""GET /v1/generate/history and the generations query: filters, search,
sort and the spec's pagination."""

from __future__ import annotations

from datetime import timedelta

import httpx
from starlette.applications import Starlette

from models.base import utcnow
from tests.factories import make_user
from tests.generation.factories import make_generation

GENERATIONS = """
query ($search: String) {
  generations(search: $search, limit: 5) {
    generations { id title preview }
    pagination { totalItems hasNext }
  }
}
"""


async def test_history_pages_newest_first_with_the_spec_pagination(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    now = utcnow()
    ids = [
        (await make_generation(app, user, created_at=now - timedelta(minutes=i))).id
        for i in range(5)
    ]

    first = await client.get(
        "/v1/generate/history", params={"limit": 2}, headers=user.headers
    )
    last = await client.get(
        "/v1/generate/history", params={"limit": 2, "page": 3}, headers=user.headers
    )

    body = first.json()
    assert [g["id"] for g in body["generations"]] == ids[:2]
    assert body["pagination"] == {
        "page": 1,
        "limit": 2,
        "total_items": 5,
        "total_pages": 3,
        "has_next": True,
        "has_previous": False,
    }
    assert set(body["generations"][0]) == {
        "id",
        "format",
        "status",
        "title",
        "preview",
        "word_count",
        "model",
        "created_at",
    }
    assert [g["id"] for g in last.json()["generations"]] == ids[4:]


async def test_history_filters_by_format_model_and_dates(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    now = utcnow()
    old = await make_generation(app, user, created_at=now - timedelta(days=10))
    email = await make_generation(app, user, format="email", content="Subject: Hi")
    other_model = await make_generation(app, user, model="gpt-4")

    by_format = await client.get(
        "/v1/generate/history", params={"format": "email"}, headers=user.headers
    )
    by_model = await client.get(
        "/v1/generate/history", params={"model": "gpt-4"}, headers=user.headers
    )
    before = await client.get(
        "/v1/generate/history",
        params={"to_date": (now - timedelta(days=5)).date().isoformat()},
        headers=user.headers,
    )
    since = await client.get(
        "/v1/generate/history",
        params={"from_date": (now - timedelta(days=1)).isoformat()},
        headers=user.headers,
    )

    assert [g["id"] for g in by_format.json()["generations"]] == [email.id]
    assert [g["id"] for g in by_model.json()["generations"]] == [other_model.id]
    assert [g["id"] for g in before.json()["generations"]] == [old.id]
    assert {g["id"] for g in since.json()["generations"]} == {email.id, other_model.id}


async def test_history_search_finds_words_in_title_and_content(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    wind = await make_generation(app, user, content="# Wind Farms\n\nTurbines at sea.")
    await make_generation(app, user, content="# Cooking\n\nPasta recipes.")
    both = await make_generation(app, user, content="# Offshore\n\nwind and turbines")

    title_hits = await client.get(
        "/v1/generate/history", params={"search": "wind"}, headers=user.headers
    )
    all_words = await client.get(
        "/v1/generate/history",
        params={"search": "WIND turbines!"},
        headers=user.headers,
    )
    none = await client.get(
        "/v1/generate/history", params={"search": "bicycles"}, headers=user.headers
    )

    assert {g["id"] for g in title_hits.json()["generations"]} == {wind.id, both.id}
    assert {g["id"] for g in all_words.json()["generations"]} == {wind.id, both.id}
    assert none.json()["generations"] == []
    assert none.json()["pagination"]["total_items"] == 0


async def test_search_follows_edits_and_deletes(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content="# Plain\n\nnothing here")
    await client.post(
        "/graphql",
        json={
            "query": "mutation ($id: ID!) { generationEdit(id: $id, content: "
            '"geothermal heat") { id } }',
            "variables": {"id": row.id},
        },
        headers=user.headers,
    )

    found = await client.get(
        "/v1/generate/history", params={"search": "geothermal"}, headers=user.headers
    )
    await client.delete(f"/v1/generate/{row.id}", headers=user.headers)
    gone = await client.get(
        "/v1/generate/history", params={"search": "geothermal"}, headers=user.headers
    )

    assert [g["id"] for g in found.json()["generations"]] == [row.id]
    assert gone.json()["generations"] == []


async def test_history_refuses_bad_parameters_naming_them(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    cases = {
        "limit": {"limit": 101},
        "page": {"page": 0},
        "from_date": {"from_date": "yesterday"},
        "sort": {"sort": "title"},
        "order": {"order": "sideways"},
        "format": {"format": "poem"},
    }
    for field, params in cases.items():
        response = await client.get(
            "/v1/generate/history", params=params, headers=user.headers
        )
        assert response.status_code == 400, field
        assert response.json()["error"]["details"]["field"] == field


async def test_generations_query_searches_and_paginates(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user, content="# Hydrogen\n\nFuel cells.")

    response = await client.post(
        "/graphql",
        json={"query": GENERATIONS, "variables": {"search": "hydrogen"}},
        headers=user.headers,
    )

    data = response.json()["data"]["generations"]
    assert data["generations"] == [
        {"id": row.id, "title": "Hydrogen", "preview": "Hydrogen Fuel cells."}
    ]
    assert data["pagination"] == {"totalItems": 1, "hasNext": False}


async def test_history_sorts_by_the_named_field_in_either_order(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    now = utcnow()
    short = await make_generation(app, user, content="# One", created_at=now)
    long = await make_generation(
        app, user, content="# Three words here", created_at=now - timedelta(hours=2)
    )
    middle = await make_generation(
        app, user, content="# Two words", created_at=now - timedelta(hours=1)
    )

    by_words = await client.get(
        "/v1/generate/history",
        params={"sort": "word_count", "order": "asc"},
        headers=user.headers,
    )
    oldest_first = await client.get(
        "/v1/generate/history",
        params={"sort": "created_at", "order": "asc"},
        headers=user.headers,
    )
    newest_first = await client.get("/v1/generate/history", headers=user.headers)

    assert [g["id"] for g in by_words.json()["generations"]] == [
        short.id,
        middle.id,
        long.id,
    ]
    assert [g["id"] for g in oldest_first.json()["generations"]] == [
        long.id,
        middle.id,
        short.id,
    ]
    assert [g["id"] for g in newest_first.json()["generations"]] == [
        short.id,
        middle.id,
        long.id,
    ]


async def test_history_pages_by_twenty_unless_told(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    for _ in range(21):
        await make_generation(app, user)

    first = await client.get("/v1/generate/history", headers=user.headers)
    widest = await client.get(
        "/v1/generate/history", params={"limit": 100}, headers=user.headers
    )

    assert len(first.json()["generations"]) == 20
    assert first.json()["pagination"]["limit"] == 20
    assert first.json()["pagination"]["total_pages"] == 2
    assert len(widest.json()["generations"]) == 21


async def test_search_matches_word_forms_through_the_full_text_index(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(
        app, user, content="# Notes\n\nThe turbines generated power all night."
    )

    stemmed = await client.get(
        "/v1/generate/history", params={"search": "generating"}, headers=user.headers
    )
    combined = await client.get(
        "/v1/generate/history",
        params={"search": "turbine", "format": "blog", "model": "offline-writer"},
        headers=user.headers,
    )

    assert [g["id"] for g in stemmed.json()["generations"]] == [row.id]
    assert [g["id"] for g in combined.json()["generations"]] == [row.id]


async def test_history_filters_by_status_and_refuses_an_empty_date_range(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    done = await make_generation(app, user)
    failed = await make_generation(app, user, status="failed", content="# Broken")

    only_failed = await client.get(
        "/v1/generate/history", params={"status": "failed"}, headers=user.headers
    )
    only_done = await client.get(
        "/v1/generate/history", params={"status": "completed"}, headers=user.headers
    )
    backwards = await client.get(
        "/v1/generate/history",
        params={"from_date": "2026-05-02", "to_date": "2026-05-01T00:00:00Z"},
        headers=user.headers,
    )

    assert [g["id"] for g in only_failed.json()["generations"]] == [failed.id]
    assert [g["id"] for g in only_done.json()["generations"]] == [done.id]
    assert backwards.status_code == 400
    assert backwards.json()["error"]["details"]["field"] == "to_date"
