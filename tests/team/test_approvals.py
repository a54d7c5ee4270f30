"""approval_required: editors' team generations wait for an admin."""

from __future__ import annotations

import httpx
from sqlmodel import select
from starlette.applications import Starlette

from models.generation import Generation
from resolvers import approvals
from tests.team.factories import TeamWorld, make_world, notifications_of


async def pending_generation(app: Starlette, world: TeamWorld) -> Generation:
    async with app.state.parts.db.session() as session:
        status = await approvals.initial_approval_status(
            session, team_id=world.id, user_id=world.editor.id
        )
        row = Generation(
            user_id=world.editor.id,
            team_id=world.id,
            format="blog",
            status="completed",
            model="offline",
            input="x",
            approval_status=status,
        )
        session.add(row)
        await session.commit()
        return row


async def visible_to(app: Starlette, user_id: str) -> list[str]:
    async with app.state.parts.db.session() as session:
        clause = await approvals.visible_generations_clause(session, user_id=user_id)
        rows = await session.execute(select(Generation.id).where(clause))
        return list(rows.scalars())


async def test_editors_start_pending_only_when_the_team_requires_approval(
    app: Starlette,
) -> None:
    strict = await make_world(app, settings={"approval_required": True})
    relaxed = await make_world(app)

    async with app.state.parts.db.session() as session:
        statuses = {
            (name, role): await approvals.initial_approval_status(
                session, team_id=world.id, user_id=getattr(world, role).id
            )
            for name, world in (("strict", strict), ("relaxed", relaxed))
            for role in ("owner", "admin", "editor")
        }
        personal = await approvals.initial_approval_status(
            session, team_id=None, user_id=strict.editor.id
        )

    assert statuses[("strict", "editor")] == "pending"
    assert statuses[("strict", "admin")] is None
    assert statuses[("strict", "owner")] is None
    assert all(v is None for (name, _), v in statuses.items() if name == "relaxed")
    assert personal is None


async def test_a_pending_generation_is_seen_by_its_author_and_approvers_only(
    app: Starlette,
) -> None:
    world = await make_world(app, settings={"approval_required": True})
    row = await pending_generation(app, world)

    seen = {
        persona: row.id in await visible_to(app, world.by_persona(persona).id)  # type: ignore[union-attr]
        for persona in ("owner", "admin", "editor", "viewer", "outsider")
    }

    assert seen == {
        "owner": True,
        "admin": True,
        "editor": True,
        "viewer": False,
        "outsider": False,
    }


async def test_an_admin_approves_and_then_every_member_sees_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app, settings={"approval_required": True})
    row = await pending_generation(app, world)

    response = await client.post(
        f"/v1/generate/{row.id}/approve", headers=world.admin.headers
    )

    assert response.status_code == 200
    assert response.json()["generation"]["approval_status"] == "approved"
    assert row.id in await visible_to(app, world.viewer.id)
    assert [n.type for n in await notifications_of(app, world.editor.id)] == [
        "generation_approval"
    ]
    again = await client.post(
        f"/v1/generate/{row.id}/approve", headers=world.owner.headers
    )
    assert again.status_code == 409


async def test_who_may_approve(app: Starlette, client: httpx.AsyncClient) -> None:
    world = await make_world(app, settings={"approval_required": True})
    row = await pending_generation(app, world)

    statuses = {
        persona: (
            await client.post(
                f"/v1/generate/{row.id}/approve",
                headers=world.by_persona(persona).headers,  # type: ignore[union-attr]
            )
        ).status_code
        for persona in ("outsider", "viewer", "editor")
    }
    anonymous = await client.post(f"/v1/generate/{row.id}/approve")

    assert statuses == {"outsider": 404, "viewer": 404, "editor": 403}
    assert anonymous.status_code == 401


async def test_a_rejected_generation_stays_with_its_author(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app, settings={"approval_required": True})
    row = await pending_generation(app, world)

    response = await client.post(
        f"/v1/generate/{row.id}/reject", headers=world.owner.headers
    )

    assert response.json()["generation"]["approval_status"] == "rejected"
    assert row.id in await visible_to(app, world.editor.id)
    assert row.id not in await visible_to(app, world.viewer.id)


async def test_an_editors_generation_through_the_api_waits_for_approval(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app, settings={"approval_required": True})
    generated = await client.post(
        "/v1/generate",
        json={
            "format": "blog",
            "input": "Solar panels on schools",
            "metadata": {"team_id": world.id},
        },
        headers=world.editor.headers,
    )
    generation_id = generated.json()["generation"]["id"]

    hidden = await client.get(
        f"/v1/generate/{generation_id}", headers=world.viewer.headers
    )
    by_admin = await client.get(
        f"/v1/generate/{generation_id}", headers=world.admin.headers
    )
    await client.post(
        f"/v1/generate/{generation_id}/approve", headers=world.admin.headers
    )
    shown = await client.get(
        f"/v1/generate/{generation_id}", headers=world.viewer.headers
    )

    assert generated.status_code == 200, generated.text
    assert hidden.status_code == 404
    assert by_admin.status_code == 200
    assert shown.status_code == 200


async def test_an_admins_generation_needs_no_approval(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app, settings={"approval_required": True})
    generated = await client.post(
        "/v1/generate",
        json={"format": "blog", "input": "Wind", "metadata": {"team_id": world.id}},
        headers=world.admin.headers,
    )

    shown = await client.get(
        f"/v1/generate/{generated.json()['generation']['id']}",
        headers=world.viewer.headers,
    )

    assert shown.status_code == 200
