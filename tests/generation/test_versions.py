"""Editing and regenerating add versions; the content is the latest one."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette

from models.generation import Generation
from tests.factories import make_user
from tests.generation.factories import make_generation

EDIT = """
mutation ($id: ID!, $content: String!) {
  generationEdit(id: $id, content: $content) { content wordCount }
}
"""
REGENERATE = """
mutation ($id: ID!, $options: JSON) {
  generationRegenerate(id: $id, options: $options) { status }
}
"""


async def versions(
    client: httpx.AsyncClient, generation_id: str, headers: dict[str, str]
) -> list[dict]:  # type: ignore[type-arg]
    response = await client.get(f"/v1/generate/{generation_id}", headers=headers)
    return response.json()["generation"]["versions"]  # type: ignore[no-any-return]


async def test_edit_adds_a_version_and_becomes_the_content(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user)

    response = await client.post(
        "/graphql",
        json={"query": EDIT, "variables": {"id": row.id, "content": "New words here"}},
        headers=user.headers,
    )

    assert response.json()["data"]["generationEdit"] == {
        "content": "New words here",
        "wordCount": 3,
    }
    listed = await versions(client, row.id, user.headers)
    assert [(v["version"], v["source"]) for v in listed] == [
        (1, "generated"),
        (2, "edited"),
    ]
    assert listed[1]["content"] == "New words here"


async def test_regenerate_runs_again_and_stores_the_next_version(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    row = await make_generation(app, user, content="# Old\n\ntext")

    response = await client.post(
        "/graphql",
        json={
            "query": REGENERATE,
            "variables": {"id": row.id, "options": {"length": "short"}},
        },
        headers=user.headers,
    )
    assert response.json()["data"]["generationRegenerate"]["status"] == "queued"
    for _ in range(200):
        async with app.state.parts.db.session() as session:
            stored = await session.get(Generation, row.id)
        assert stored is not None
        if stored.status == "completed":
            break
        await asyncio.sleep(0.05)

    listed = await versions(client, row.id, user.headers)
    assert [(v["version"], v["source"]) for v in listed] == [
        (1, "generated"),
        (2, "regenerated"),
    ]
    assert stored.content == listed[1]["content"] != "# Old\n\ntext"
    assert stored.options["length"] == "short"


async def test_delete_removes_the_generation_and_its_versions(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user)

    deleted = await client.delete(f"/v1/generate/{row.id}", headers=user.headers)
    again = await client.get(f"/v1/generate/{row.id}", headers=user.headers)

    assert deleted.json() == {
        "success": True,
        "message": "Generation deleted successfully",
    }
    assert again.status_code == 404


async def test_edit_refuses_empty_content_naming_the_field(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user)

    response = await client.post(
        "/graphql",
        json={"query": EDIT, "variables": {"id": row.id, "content": "  "}},
        headers=user.headers,
    )

    extensions = response.json()["errors"][0]["extensions"]
    assert extensions["code"] == "VALIDATION_ERROR"
    assert extensions["details"]["field"] == "content"
    assert [v["version"] for v in await versions(client, row.id, user.headers)] == [1]


async def test_regenerate_refuses_options_that_are_not_an_object(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user)

    not_object = await client.post(
        "/graphql",
        json={"query": REGENERATE, "variables": {"id": row.id, "options": ["x"]}},
        headers=user.headers,
    )
    out_of_bounds = await client.post(
        "/graphql",
        json={
            "query": REGENERATE,
            "variables": {"id": row.id, "options": {"temperature": 3}},
        },
        headers=user.headers,
    )

    assert not_object.json()["errors"][0]["extensions"]["details"]["field"] == (
        "options"
    )
    assert out_of_bounds.json()["errors"][0]["extensions"]["details"]["field"] == (
        "options.temperature"
    )
    async with app.state.parts.db.session() as session:
        stored = await session.get(Generation, row.id)
    assert stored is not None and stored.status == "completed"


async def test_delete_mutation_removes_the_generation(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user)

    response = await client.post(
        "/graphql",
        json={
            "query": "mutation ($id: ID!) { generationDelete(id: $id) "
            "{ success message } }",
            "variables": {"id": row.id},
        },
        headers=user.headers,
    )

    assert response.json()["data"]["generationDelete"] == {
        "success": True,
        "message": "Generation deleted successfully",
    }
    async with app.state.parts.db.session() as session:
        assert await session.get(Generation, row.id) is None
