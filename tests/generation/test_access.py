"""A user never sees, searches, exports, cancels or deletes another user's
generation; team members see team generations by role."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from models.generation import Generation
from tests.factories import make_user
from tests.generation.factories import make_generation, make_team

GENERATION = "query ($id: ID!) { generation(id: $id) { id content } }"
CANCEL = "mutation ($id: ID!) { generationCancel(id: $id) { id } }"
EDIT = 'mutation ($id: ID!) { generationEdit(id: $id, content: "x") { id } }'
REGENERATE = "mutation ($id: ID!) { generationRegenerate(id: $id) { id } }"
DELETE = "mutation ($id: ID!) { generationDelete(id: $id) { success } }"
EXPORT = """
mutation ($id: ID!) { generationExport(id: $id, format: pdf) { exportUrl } }
"""
SEARCH = """
query {
  generations(search: "solar", limit: 5) {
    generations { id }
    pagination { totalItems }
  }
}
"""


async def test_another_users_generation_is_not_found_on_every_rest_route(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)
    stranger = await make_user(app)
    row = await make_generation(app, owner, content="# Secret\n\nsolar plans")

    got = await client.get(f"/v1/generate/{row.id}", headers=stranger.headers)
    exported = await client.post(
        f"/v1/generate/{row.id}/export",
        json={"format": "pdf"},
        headers=stranger.headers,
    )
    deleted = await client.delete(f"/v1/generate/{row.id}", headers=stranger.headers)
    history = await client.get(
        "/v1/generate/history", params={"search": "solar"}, headers=stranger.headers
    )

    assert got.status_code == 404
    assert got.json()["error"]["code"] == "NOT_FOUND"
    assert exported.status_code == 404
    assert deleted.status_code == 404
    assert history.json()["generations"] == []
    async with app.state.parts.db.session() as session:
        assert await session.get(Generation, row.id) is not None


@pytest.mark.parametrize(
    "document", [GENERATION, CANCEL, EDIT, REGENERATE, DELETE, EXPORT]
)
async def test_another_users_generation_is_not_found_in_graphql(
    app: Starlette, client: httpx.AsyncClient, document: str
) -> None:
    owner = await make_user(app)
    stranger = await make_user(app)
    row = await make_generation(app, owner)

    response = await client.post(
        "/graphql",
        json={"query": document, "variables": {"id": row.id}},
        headers=stranger.headers,
    )

    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    async with app.state.parts.db.session() as session:
        kept = await session.get(Generation, row.id)
    assert kept is not None and kept.content == row.content


async def test_another_users_generation_is_not_searchable_in_graphql(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)
    stranger = await make_user(app)
    await make_generation(app, owner, content="# Secret\n\nsolar plans")
    await make_generation(app, stranger, content="# Mine\n\nsolar notes")

    response = await client.post(
        "/graphql", json={"query": SEARCH}, headers=stranger.headers
    )
    owners = await client.post(
        "/graphql", json={"query": SEARCH}, headers=owner.headers
    )

    assert response.json()["data"]["generations"]["pagination"] == {"totalItems": 1}
    assert owners.json()["data"]["generations"]["pagination"] == {"totalItems": 1}
    [mine] = response.json()["data"]["generations"]["generations"]
    [theirs] = owners.json()["data"]["generations"]["generations"]
    assert mine != theirs


async def test_another_users_generation_stream_cannot_be_resumed(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)
    stranger = await make_user(app)
    row = await make_generation(app, owner)

    response = await client.get(
        f"/v1/generate/stream/{row.id}", headers=stranger.headers
    )
    owners = await client.get(f"/v1/generate/stream/{row.id}", headers=owner.headers)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert owners.status_code == 200
    assert "event: complete" in owners.text


async def test_team_members_see_team_generations_and_outsiders_do_not(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)
    viewer = await make_user(app)
    outsider = await make_user(app)
    team = await make_team(app, owner, {viewer.id: "viewer"})
    row = await make_generation(app, owner, team_id=team.id)

    seen = await client.get(f"/v1/generate/{row.id}", headers=viewer.headers)
    listed = await client.get(
        "/v1/generate/history", params={"team_id": team.id}, headers=viewer.headers
    )
    hidden = await client.get(f"/v1/generate/{row.id}", headers=outsider.headers)
    not_listed = await client.get(
        "/v1/generate/history", params={"team_id": team.id}, headers=outsider.headers
    )
    viewer_delete = await client.delete(
        f"/v1/generate/{row.id}", headers=viewer.headers
    )

    assert seen.status_code == 200
    assert [g["id"] for g in listed.json()["generations"]] == [row.id]
    assert hidden.status_code == 404
    assert not_listed.status_code == 404
    assert viewer_delete.status_code == 403
    assert viewer_delete.json()["error"]["code"] == "FORBIDDEN"


async def test_team_generation_needs_a_role_that_creates(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)
    viewer = await make_user(app)
    editor = await make_user(app)
    team = await make_team(app, owner, {viewer.id: "viewer", editor.id: "editor"})
    body = {"format": "email", "input": "Launch", "metadata": {"team_id": team.id}}

    refused = await client.post("/v1/generate", json=body, headers=viewer.headers)
    made = await client.post("/v1/generate", json=body, headers=editor.headers)
    seen_by_owner = await client.get(
        f"/v1/generate/{made.json()['generation']['id']}", headers=owner.headers
    )

    assert refused.status_code == 403
    assert made.status_code == 200
    assert seen_by_owner.json()["generation"]["team_id"] == team.id


async def test_team_default_model_applies_when_none_is_given(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)
    team = await make_team(app, owner, settings={"default_model": "gpt-4"})

    response = await client.post(
        "/v1/generate",
        json={"format": "blog", "input": "x", "metadata": {"team_id": team.id}},
        headers=owner.headers,
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "UNSUPPORTED_MODEL"
    assert response.json()["error"]["details"]["model"] == "gpt-4"


async def test_generation_routes_need_a_token(client: httpx.AsyncClient) -> None:
    responses = [
        await client.post("/v1/generate", json={"format": "blog", "input": "x"}),
        await client.get("/v1/generate/history"),
        await client.get("/v1/generate/gen_x"),
        await client.delete("/v1/generate/gen_x"),
        await client.post("/v1/generate/gen_x/export", json={"format": "pdf"}),
    ]

    assert [r.status_code for r in responses] == [401] * 5
