"""Creating, reading, changing and deleting templates."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.factories import make_user
from tests.team.factories import make_world
from tests.template.factories import EMAIL_CAMPAIGN, make_template


async def test_create_answers_201_with_the_template(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app, name="Template Author")

    response = await client.post(
        "/v1/templates", json=EMAIL_CAMPAIGN, headers=author.headers
    )

    assert response.status_code == 201
    template = response.json()["template"]
    assert template["id"].startswith("tpl_")
    assert template["name"] == "Email Campaign"
    assert template["category"] == "marketing"
    assert template["is_public"] is False
    assert template["usage_count"] == 0
    assert template["rating"] is None
    assert template["author"] == {"id": author.id, "name": "Template Author"}
    assert template["variables"] == [
        {
            "name": "product",
            "type": "text",
            "description": "Product name",
            "required": True,
            "options": None,
            "default": None,
        },
        {
            "name": "audience",
            "type": "select",
            "description": "",
            "required": False,
            "options": ["B2B", "B2C", "Enterprise"],
            "default": "B2B",
        },
    ]


async def test_create_refuses_a_bad_variable_naming_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app)
    body = {
        **EMAIL_CAMPAIGN,
        "variables": [
            EMAIL_CAMPAIGN["variables"][0],
            {"name": "audience", "type": "select", "options": ["B2B"], "default": "X"},
        ],
    }

    response = await client.post("/v1/templates", json=body, headers=author.headers)

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "variables[1].default"


async def test_create_refuses_an_unknown_variable_type(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app)
    body = {**EMAIL_CAMPAIGN, "variables": [{"name": "product", "type": "date"}]}

    response = await client.post("/v1/templates", json=body, headers=author.headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_a_viewer_cannot_save_a_template_to_the_team_but_an_editor_can(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    body = {**EMAIL_CAMPAIGN, "team_id": world.id}

    viewer = await client.post("/v1/templates", json=body, headers=world.viewer.headers)
    editor = await client.post("/v1/templates", json=body, headers=world.editor.headers)
    outsider = await client.post(
        "/v1/templates", json=body, headers=world.outsider.headers
    )

    assert viewer.status_code == 403
    assert editor.status_code == 201
    assert outsider.status_code == 404


async def test_update_changes_fields_and_checks_prompt_against_variables(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app)
    template = await make_template(app, author)

    renamed = await client.patch(
        f"/v1/templates/{template.id}",
        json={"name": "Renamed", "is_public": True},
        headers=author.headers,
    )
    bad_prompt = await client.patch(
        f"/v1/templates/{template.id}",
        json={"prompt": "Now about {{subject}}"},
        headers=author.headers,
    )

    assert renamed.status_code == 200
    assert renamed.json()["template"]["name"] == "Renamed"
    assert renamed.json()["template"]["is_public"] is True
    assert bad_prompt.status_code == 400
    assert bad_prompt.json()["error"]["details"]["field"] == "prompt"


async def test_only_the_author_or_a_team_admin_changes_a_team_template(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    template = await make_template(app, world.editor, team_id=world.id)
    other_editor = await make_user(app)
    from tests.team.factories import add_membership

    await add_membership(app, world.team, other_editor, "editor")

    statuses = {}
    for name, user in {
        "author": world.editor,
        "admin": world.admin,
        "other_editor": other_editor,
        "viewer": world.viewer,
    }.items():
        response = await client.patch(
            f"/v1/templates/{template.id}",
            json={"description": name},
            headers=user.headers,
        )
        statuses[name] = response.status_code

    assert statuses == {"author": 200, "admin": 200, "other_editor": 403, "viewer": 403}


async def test_delete_removes_the_template(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app)
    template = await make_template(app, author, is_public=True)
    stranger = await make_user(app)

    refused = await client.delete(
        f"/v1/templates/{template.id}", headers=stranger.headers
    )
    deleted = await client.delete(
        f"/v1/templates/{template.id}", headers=author.headers
    )
    gone = await client.get(f"/v1/templates/{template.id}", headers=author.headers)

    assert refused.status_code == 403
    assert deleted.json() == {
        "success": True,
        "message": "Template deleted successfully",
    }
    assert gone.status_code == 404
