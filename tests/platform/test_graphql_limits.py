"""GraphQL resource limits: refused before any resolver runs."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import col, func, select
from starlette.applications import Starlette

from harvest.app import create_app
from harvest.settings import Settings
from models.generation import Generation
from schema import build_schema
from schema.limits import MAX_ALIASES, MAX_BATCH_OPERATIONS, MAX_DEPTH, MAX_TOKENS
from tests.factories import make_user

HISTORY = """
query ($limit: Int) { generations(limit: $limit) { generations { id } } }
"""
INTROSPECTION = "{ __schema { types { name } } }"


async def ask(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    return dict(response.json())


def nested(depth: int) -> str:
    """A selection ``depth`` levels deep (the schema need not have it)."""
    return "{ " + " { ".join(["me"] * depth) + " }" * depth


async def generation_count(app: Starlette, user_id: str) -> int:
    async with app.state.parts.db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Generation)
            .where(col(Generation.user_id) == user_id)
        )
    return int(count or 0)


async def test_a_list_field_without_a_page_size_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    body = await ask(client, user.headers, "{ generations { generations { id } } }")

    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert error["extensions"]["details"]["field"] == "limit"


async def test_a_page_larger_than_one_hundred_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    literal = await ask(
        client, user.headers, "{ generations(limit: 101) { generations { id } } }"
    )
    variable = await ask(client, user.headers, HISTORY, {"limit": 101})

    for body in (literal, variable):
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["details"]["field"] == "limit"


async def test_a_page_of_one_hundred_is_allowed(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    body = await ask(client, user.headers, HISTORY, {"limit": 100})

    assert "errors" not in body
    assert body["data"]["generations"]["generations"] == []


async def test_an_unset_page_size_variable_counts_as_the_default_page(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    body = await ask(client, user.headers, HISTORY)

    assert "errors" not in body


async def test_an_operation_that_may_return_too_many_fields_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    fields = " ".join(f"f{i}: id" for i in range(55))

    body = await ask(
        client,
        user.headers,
        f"{{ generations(limit: 100) {{ generations {{ {fields} }} }} }}",
    )

    assert body["data"] is None
    details = body["errors"][0]["extensions"]["details"]
    assert details["reason"] == "too_costly"
    assert details["cost"] > details["max_cost"]


async def test_too_deep_a_query_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    body = await ask(client, user.headers, nested(MAX_DEPTH + 2))

    assert body["data"] is None
    assert any("depth" in e["message"] for e in body["errors"])
    assert all(e["extensions"]["code"] == "VALIDATION_ERROR" for e in body["errors"])


async def test_too_many_aliases_are_refused_and_nothing_runs(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    starts = " ".join(
        f'g{i}: generationStart(input: {{format: blog, input: "x{i}"}}) {{ id }}'
        for i in range(MAX_ALIASES + 1)
    )

    body = await ask(client, user.headers, f"mutation {{ {starts} }}")

    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"]
    assert await generation_count(app, user.id) == 0


async def test_too_many_tokens_are_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    body = await ask(
        client, user.headers, "{ " + "__typename " * (MAX_TOKENS + 1) + "}"
    )

    assert body["data"] is None
    assert "tokens" in body["errors"][0]["message"]


async def test_batched_operations_are_answered_up_to_the_cap(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    operation = {"query": "{ __typename }"}

    allowed = await client.post(
        "/graphql", json=[operation] * MAX_BATCH_OPERATIONS, headers=user.headers
    )
    refused = await client.post(
        "/graphql", json=[operation] * (MAX_BATCH_OPERATIONS + 1), headers=user.headers
    )

    assert len(allowed.json()) == MAX_BATCH_OPERATIONS
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_introspection_and_suggestions_are_off_in_production() -> None:
    production = build_schema(production=True)
    development = build_schema(production=False)

    hidden = await production.execute(INTROSPECTION)
    shown = await development.execute(INTROSPECTION)
    typo = await production.execute("{ generatoins(limit: 1) { pagination { page } } }")

    assert hidden.errors
    assert "introspection" in hidden.errors[0].message.lower()
    assert shown.errors is None
    assert typo.errors
    assert "Did you mean" not in typo.errors[0].message


async def test_a_production_server_refuses_introspection_and_suggestions(
    settings: Settings,
) -> None:
    production = create_app(
        settings.with_overrides(env="production", run_workers=False),
        auto_migrate=False,
    )
    async with production.router.lifespan_context(production):
        user = await make_user(production)
        transport = httpx.ASGITransport(app=production)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as client:
            hidden = await ask(client, user.headers, INTROSPECTION)
            typo = await ask(client, user.headers, "{ mee { id } }")
            fine = await ask(client, user.headers, "{ me { id } }")

    assert hidden["data"] is None
    assert "introspection" in hidden["errors"][0]["message"].lower()
    assert typo["errors"]
    assert "Did you mean" not in typo["errors"][0]["message"]
    assert fine["data"]["me"]["id"] == user.id


async def test_a_development_server_suggests_fields(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    typo = await ask(client, user.headers, "{ mee { id } }")

    assert "Did you mean" in typo["errors"][0]["message"]
