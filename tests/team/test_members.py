"""Members: removing, leaving, changing roles, transferring ownership,
updating and deleting a team."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.team.factories import events_of, make_world, notifications_of, roles_of


async def test_remove_answers_the_spec_and_raises_the_event(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.delete(
        f"/v1/teams/{world.id}/members/{world.editor.id}", headers=world.admin.headers
    )

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "Member removed successfully",
    }
    assert world.editor.id not in await roles_of(app, world.id)
    (event,) = await events_of(app, world.owner.id, "team.member.removed")
    assert event["user_id"] == world.editor.id
    assert [n.type for n in await notifications_of(app, world.editor.id)] == [
        "team_member_removed"
    ]


async def test_the_owner_cannot_be_removed(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.delete(
        f"/v1/teams/{world.id}/members/{world.owner.id}", headers=world.admin.headers
    )

    assert response.status_code == 403
    assert "transfer ownership" in response.json()["error"]["message"]
    assert (await roles_of(app, world.id))[world.owner.id] == "owner"


async def test_an_admin_cannot_remove_another_admin_but_the_owner_can(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    await client.patch(
        f"/v1/teams/{world.id}/members/{world.editor.id}",
        json={"role": "admin"},
        headers=world.owner.headers,
    )

    by_admin = await client.delete(
        f"/v1/teams/{world.id}/members/{world.editor.id}", headers=world.admin.headers
    )
    by_owner = await client.delete(
        f"/v1/teams/{world.id}/members/{world.editor.id}", headers=world.owner.headers
    )

    assert by_admin.status_code == 403
    assert by_owner.status_code == 200


async def test_removing_someone_who_is_not_a_member_is_not_found(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.delete(
        f"/v1/teams/{world.id}/members/{world.outsider.id}", headers=world.owner.headers
    )

    assert response.status_code == 404


async def test_a_member_can_leave_but_the_owner_cannot(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    left = await client.post(
        f"/v1/teams/{world.id}/leave", headers=world.viewer.headers
    )
    owner = await client.post(
        f"/v1/teams/{world.id}/leave", headers=world.owner.headers
    )

    assert left.status_code == 200
    assert world.viewer.id not in await roles_of(app, world.id)
    assert owner.status_code == 403
    (event,) = await events_of(app, world.owner.id, "team.member.removed")
    assert event["reason"] == "left"


async def test_changing_a_role(app: Starlette, client: httpx.AsyncClient) -> None:
    world = await make_world(app)

    response = await client.patch(
        f"/v1/teams/{world.id}/members/{world.viewer.id}",
        json={"role": "editor"},
        headers=world.admin.headers,
    )

    assert response.status_code == 200
    assert response.json()["member"]["role"] == "editor"
    assert (await roles_of(app, world.id))[world.viewer.id] == "editor"


async def test_the_owner_cannot_be_demoted_and_nobody_is_made_owner_by_a_role_change(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    demote = await client.patch(
        f"/v1/teams/{world.id}/members/{world.owner.id}",
        json={"role": "admin"},
        headers=world.admin.headers,
    )
    promote = await client.patch(
        f"/v1/teams/{world.id}/members/{world.admin.id}",
        json={"role": "owner"},
        headers=world.owner.headers,
    )
    self_demote = await client.patch(
        f"/v1/teams/{world.id}/members/{world.owner.id}",
        json={"role": "viewer"},
        headers=world.owner.headers,
    )

    assert demote.status_code == 403
    assert promote.status_code == 400
    assert self_demote.status_code == 403
    roles = await roles_of(app, world.id)
    assert roles[world.owner.id] == "owner"
    assert roles[world.admin.id] == "admin"


async def test_an_admin_cannot_change_another_admin(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    await client.patch(
        f"/v1/teams/{world.id}/members/{world.editor.id}",
        json={"role": "admin"},
        headers=world.owner.headers,
    )

    response = await client.patch(
        f"/v1/teams/{world.id}/members/{world.editor.id}",
        json={"role": "viewer"},
        headers=world.admin.headers,
    )

    assert response.status_code == 403


async def test_transferring_ownership_swaps_owner_and_admin(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.post(
        f"/v1/teams/{world.id}/transfer-ownership",
        json={"user_id": world.editor.id},
        headers=world.owner.headers,
    )

    assert response.status_code == 200
    assert response.json()["team"]["owner_id"] == world.editor.id
    roles = await roles_of(app, world.id)
    assert roles[world.editor.id] == "owner"
    assert roles[world.owner.id] == "admin"
    removable = await client.delete(
        f"/v1/teams/{world.id}/members/{world.owner.id}",
        headers=world.editor.headers,
    )
    assert removable.status_code == 200


async def test_only_the_owner_transfers_ownership(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.post(
        f"/v1/teams/{world.id}/transfer-ownership",
        json={"user_id": world.admin.id},
        headers=world.admin.headers,
    )

    assert response.status_code == 403


async def test_updating_merges_settings(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await client.patch(
        f"/v1/teams/{world.id}",
        json={"name": "Renamed", "settings": {"approval_required": True}},
        headers=world.admin.headers,
    )

    assert response.status_code == 200
    team = response.json()["team"]
    assert team["name"] == "Renamed"
    assert team["settings"] == {
        "default_model": None,
        "shared_templates": True,
        "approval_required": True,
    }


async def test_deleting_a_team_removes_its_memberships(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    by_admin = await client.delete(f"/v1/teams/{world.id}", headers=world.admin.headers)
    by_owner = await client.delete(f"/v1/teams/{world.id}", headers=world.owner.headers)

    assert by_admin.status_code == 403
    assert by_owner.status_code == 200
    assert await roles_of(app, world.id) == {}
    gone = await client.get(f"/v1/teams/{world.id}", headers=world.owner.headers)
    assert gone.status_code == 404


async def test_the_invite_code_is_shown_to_admins_only(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    document = "query($id: ID!) { team(id: $id) { inviteCode } }"

    codes = {}
    for persona in ("owner", "admin", "editor", "viewer"):
        response = await client.post(
            "/graphql",
            json={"query": document, "variables": {"id": world.id}},
            headers=world.by_persona(persona).headers,  # type: ignore[union-attr]
        )
        codes[persona] = response.json()["data"]["team"]["inviteCode"]

    assert codes["owner"] == codes["admin"] == world.team.invite_code
    assert codes["editor"] is None
    assert codes["viewer"] is None
