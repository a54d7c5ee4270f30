"""Listing templates: visibility, filters, search and pagination."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.factories import make_user
from tests.team.factories import make_world
from tests.template.factories import make_template


async def names(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> list[str]:
    response = await client.get("/v1/templates", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(t["name"] for t in response.json()["templates"])


async def test_each_caller_sees_public_own_and_shared_team_templates(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    await make_template(app, world.owner, name="public", is_public=True)
    await make_template(app, world.owner, name="private")
    await make_template(app, world.editor, name="team", team_id=world.id)

    assert await names(client, world.owner.headers) == ["private", "public", "team"]
    assert await names(client, world.viewer.headers) == ["public", "team"]
    assert await names(client, world.outsider.headers) == ["public"]


async def test_turning_shared_templates_off_hides_team_templates_from_members(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app, settings={"shared_templates": False})
    template = await make_template(app, world.editor, name="team", team_id=world.id)

    assert await names(client, world.editor.headers) == ["team"]
    assert await names(client, world.admin.headers) == ["team"]
    assert await names(client, world.viewer.headers) == []
    hidden = await client.get(
        f"/v1/templates/{template.id}", headers=world.viewer.headers
    )
    assert hidden.status_code == 404


async def test_list_items_have_the_spec_fields(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app, name="Template Author")
    await make_template(app, author, is_public=True, category="blogging")

    response = await client.get("/v1/templates", headers=author.headers)

    (item,) = response.json()["templates"]
    assert set(item) == {
        "id",
        "name",
        "description",
        "category",
        "is_public",
        "usage_count",
        "rating",
        "author",
        "created_at",
    }
    assert item["author"] == {"id": author.id, "name": "Template Author"}
    assert response.json()["pagination"]["total_items"] == 1


async def test_filters_by_category_public_team_and_search(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    await make_template(
        app, world.owner, name="Blog Outline", category="blogging", is_public=True
    )
    await make_template(
        app,
        world.owner,
        name="Launch Mail",
        category="marketing",
        description="100% off_sale",
    )
    await make_template(app, world.editor, name="Team Brief", team_id=world.id)
    headers = world.owner.headers

    assert await names(client, headers, category="marketing") == ["Launch Mail"]
    assert await names(client, headers, is_public="true") == ["Blog Outline"]
    assert await names(client, headers, is_public="false") == [
        "Launch Mail",
        "Team Brief",
    ]
    assert await names(client, headers, team_id=world.id) == ["Team Brief"]
    assert await names(client, headers, search="OUTLINE") == ["Blog Outline"]
    assert await names(client, headers, search="100%") == ["Launch Mail"]
    assert await names(client, headers, search="0%") == ["Launch Mail"]
    assert await names(client, headers, search="f_s") == ["Launch Mail"]
    assert await names(client, headers, search="_") == ["Launch Mail"]


async def test_filtering_by_a_team_you_are_not_in_is_not_found(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.get(
        "/v1/templates", params={"team_id": world.id}, headers=world.outsider.headers
    )

    assert response.status_code == 404


async def test_pagination(app: Starlette, client: httpx.AsyncClient) -> None:
    author = await make_user(app)
    for n in range(5):
        await make_template(app, author, name=f"t{n}")

    first = await client.get(
        "/v1/templates",
        params={"limit": 2, "sort": "name", "order": "asc"},
        headers=author.headers,
    )
    last = await client.get(
        "/v1/templates",
        params={"limit": 2, "page": 3, "sort": "name", "order": "asc"},
        headers=author.headers,
    )
    too_many = await client.get(
        "/v1/templates", params={"limit": 101}, headers=author.headers
    )

    assert [t["name"] for t in first.json()["templates"]] == ["t0", "t1"]
    assert first.json()["pagination"] == {
        "page": 1,
        "limit": 2,
        "total_items": 5,
        "total_pages": 3,
        "has_next": True,
        "has_previous": False,
    }
    assert [t["name"] for t in last.json()["templates"]] == ["t4"]
    assert too_many.status_code == 400
