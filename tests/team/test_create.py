"""Creating and listing teams."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from tests.factories import make_user
from tests.team.factories import make_world


async def test_create_answers_the_spec_shape_with_invite_code_and_settings(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, name="Team Owner")

    response = await client.post(
        "/v1/teams",
        json={
            "name": "Content Team",
            "description": "Team for content collaboration",
            "settings": {
                "default_model": "gpt-4",
                "shared_templates": True,
                "approval_required": False,
            },
        },
        headers=owner.headers,
    )

    assert response.status_code == 201
    team = response.json()["team"]
    assert set(team) == {
        "id",
        "name",
        "description",
        "invite_code",
        "owner_id",
        "settings",
        "created_at",
    }
    assert team["id"].startswith("team_")
    assert team["owner_id"] == owner.id
    assert re.fullmatch(r"CON[A-Z0-9]{4}", team["invite_code"])
    assert team["settings"] == {
        "default_model": "gpt-4",
        "shared_templates": True,
        "approval_required": False,
    }
    assert team["created_at"].endswith("Z")


async def test_settings_default_when_left_out(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    response = await client.post(
        "/v1/teams", json={"name": "Plain"}, headers=owner.headers
    )

    assert response.json()["team"]["settings"] == {
        "default_model": None,
        "shared_templates": True,
        "approval_required": False,
    }


async def test_invite_codes_are_unique(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, tier="enterprise")

    codes = set()
    for _ in range(15):
        response = await client.post(
            "/v1/teams", json={"name": "Same Name"}, headers=owner.headers
        )
        codes.add(response.json()["team"]["invite_code"])

    assert len(codes) == 15


async def test_cannot_create_a_team_without_a_name(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    response = await client.post(
        "/v1/teams", json={"name": "   "}, headers=owner.headers
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "name"


async def test_a_bad_setting_is_a_validation_error_naming_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    response = await client.post(
        "/v1/teams",
        json={"name": "X", "settings": {"default_model": "  "}},
        headers=owner.headers,
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "settings.default_model"


async def test_list_shows_role_members_count_and_owner(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.get("/v1/teams", headers=world.editor.headers)

    assert response.status_code == 200
    (team,) = response.json()["teams"]
    assert team == {
        "id": world.id,
        "name": "Marketing Team",
        "description": "Content creation team",
        "role": "editor",
        "members_count": 4,
        "owner": {"id": world.owner.id, "name": "Olivia Owner", "avatar": None},
        "created_at": team["created_at"],
    }


async def test_list_shows_only_the_callers_teams(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.get("/v1/teams", headers=world.outsider.headers)

    assert response.json()["teams"] == []
    assert world.id not in response.text


async def test_get_shows_members_usage_and_settings(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.get(f"/v1/teams/{world.id}", headers=world.viewer.headers)

    assert response.status_code == 200
    team = response.json()["team"]
    assert set(team) == {"id", "name", "description", "members", "usage", "settings"}
    assert [m["role"] for m in team["members"]] == [
        "owner",
        "admin",
        "editor",
        "viewer",
    ]
    assert set(team["members"][0]) == {"id", "name", "email", "role", "joined_at"}
    assert team["usage"] == {
        "total_generations": 0,
        "tokens_used": 0,
        "active_members": 0,
    }
