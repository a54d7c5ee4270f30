"""Using a template: rendering into a generation, counting uses exactly."""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import select
from starlette.applications import Starlette

from models.generation import Generation
from models.template import Template
from tests.factories import make_user
from tests.support import LiveServer
from tests.team.factories import make_world
from tests.template.factories import EMAIL_CAMPAIGN, make_template


async def usage_count(app: Starlette, template_id: str) -> int:
    async with app.state.parts.db.session() as session:
        template = await session.get(Template, template_id)
        assert template is not None
        return template.usage_count


async def stored_generation(app: Starlette, generation_id: str) -> Generation:
    async with app.state.parts.db.session() as session:
        row = await session.get(Generation, generation_id)
        assert row is not None
        return row


async def test_use_answers_the_spec_shape_and_generates_from_the_rendered_prompt(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app, tier="pro")
    created = await client.post(
        "/v1/templates",
        json={**EMAIL_CAMPAIGN, "format": "email"},
        headers=author.headers,
    )
    template_id = created.json()["template"]["id"]

    response = await client.post(
        f"/v1/templates/{template_id}/use",
        json={
            "variables": {"product": "Harvest.ai", "audience": "Enterprise"},
            "options": {"tone": "professional"},
        },
        headers=author.headers,
    )

    assert response.status_code == 200, response.text
    generation = response.json()["generation"]
    assert set(generation) == {"id", "content", "template_id"}
    assert generation["template_id"] == template_id
    assert generation["content"]
    row = await stored_generation(app, generation["id"])
    assert row.input == (
        "Create an email campaign about Harvest.ai targeting Enterprise..."
    )
    assert row.template_id == template_id
    assert row.format == "email"
    assert await usage_count(app, template_id) == 1


async def test_a_missing_required_variable_is_named_and_counts_nothing(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app, tier="pro")
    created = await client.post(
        "/v1/templates", json=EMAIL_CAMPAIGN, headers=author.headers
    )
    template_id = created.json()["template"]["id"]

    missing = await client.post(
        f"/v1/templates/{template_id}/use",
        json={"variables": {"audience": "B2C"}},
        headers=author.headers,
    )
    unknown = await client.post(
        f"/v1/templates/{template_id}/use",
        json={"variables": {"product": "x", "budget": 5}},
        headers=author.headers,
    )
    outside_options = await client.post(
        f"/v1/templates/{template_id}/use",
        json={"variables": {"product": "x", "audience": "Government"}},
        headers=author.headers,
    )

    assert missing.status_code == 400
    assert missing.json()["error"]["details"]["field"] == "variables.product"
    assert unknown.json()["error"]["details"]["field"] == "variables.budget"
    assert outside_options.json()["error"]["details"]["field"] == "variables.audience"
    assert await usage_count(app, template_id) == 0


async def test_a_refused_generation_option_counts_nothing(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    author = await make_user(app, tier="pro")
    template = await make_template(app, author)

    response = await client.post(
        f"/v1/templates/{template.id}/use",
        json={"variables": {"topic": "x"}, "options": {"tone": "sarcastic"}},
        headers=author.headers,
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "options.tone"
    assert await usage_count(app, template.id) == 0


async def test_nobody_uses_a_template_they_cannot_see(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    private = await make_template(app, world.owner)
    team_template = await make_template(app, world.editor, team_id=world.id)

    by_stranger = await client.post(
        f"/v1/templates/{private.id}/use",
        json={"variables": {"topic": "x"}},
        headers=world.outsider.headers,
    )
    by_viewer = await client.post(
        f"/v1/templates/{team_template.id}/use",
        json={"variables": {"topic": "x"}},
        headers=world.viewer.headers,
    )
    anonymous = await client.post(
        f"/v1/templates/{private.id}/use", json={"variables": {"topic": "x"}}
    )

    assert by_stranger.status_code == 404
    assert by_viewer.status_code == 200
    assert anonymous.status_code == 401


async def test_a_team_templates_use_takes_the_teams_default_model(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app, settings={"default_model": "no-such-model"})
    template = await make_template(app, world.editor, team_id=world.id)

    defaulted = await client.post(
        f"/v1/templates/{template.id}/use",
        json={"variables": {"topic": "x"}},
        headers=world.editor.headers,
    )

    assert defaulted.status_code == 400
    assert defaulted.json()["error"]["code"] == "UNSUPPORTED_MODEL"
    assert defaulted.json()["error"]["details"]["model"] == "no-such-model"
    assert await usage_count(app, template.id) == 0


async def test_concurrent_uses_count_exactly_on_a_live_server(
    app: Starlette, live_server: LiveServer
) -> None:
    author = await make_user(app, tier="pro")
    template = await make_template(app, author, is_public=True)
    users = [await make_user(app, tier="pro") for _ in range(20)]

    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"/v1/templates/{template.id}/use",
                    json={"variables": {"topic": f"subject {n}"}},
                    headers=user.headers,
                )
                for n, user in enumerate(users)
            )
        )

    assert [r.status_code for r in responses] == [200] * 20
    assert await usage_count(app, template.id) == 20
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(Generation).where(Generation.template_id == template.id)
        )
        assert len(rows.scalars().all()) == 20
