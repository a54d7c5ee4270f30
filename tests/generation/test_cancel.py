"""Cancelling a generation stops its runner wherever the cancel comes from."""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import update
from starlette.applications import Starlette

from models.generation import Generation
from resolvers.generation_runner import running_handle
from subscriptions import channels, events
from tests.factories import make_user
from tests.generation.factories import make_generation

START = """
mutation ($input: GenerateInput!) { generationStart(input: $input) { id status } }
"""
CANCEL = "mutation ($id: ID!) { generationCancel(id: $id) { id status } }"
LONG_BLOG = {"format": "blog", "input": "Tidal power", "options": {"length": "long"}}


async def start(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(
        "/graphql",
        json={"query": START, "variables": {"input": LONG_BLOG}},
        headers=headers,
    )
    data = response.json()["data"]["generationStart"]
    assert data["status"] == "queued"
    return str(data["id"])


async def wait_for_status(
    app: Starlette, generation_id: str, status: str
) -> Generation:
    for _ in range(100):
        async with app.state.parts.db.session() as session:
            row = await session.get(Generation, generation_id)
        assert row is not None
        if row.status == status:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"still {row.status}")


async def test_cancel_mutation_stops_the_runner(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    generation_id = await start(client, user.headers)
    await wait_for_status(app, generation_id, "running")
    handle = running_handle(generation_id)
    assert handle is not None

    response = await client.post(
        "/graphql",
        json={"query": CANCEL, "variables": {"id": generation_id}},
        headers=user.headers,
    )
    assert handle.task is not None
    await asyncio.wait_for(handle.task, 5)

    assert response.json()["data"]["generationCancel"]["status"] == "cancelled"
    assert handle.events[-1]["type"] == events.CANCELLED
    row = await wait_for_status(app, generation_id, "cancelled")
    assert row.content == ""


async def test_cancel_published_by_another_process_stops_the_runner(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    generation_id = await start(client, user.headers)
    await wait_for_status(app, generation_id, "running")
    handle = running_handle(generation_id)
    assert handle is not None and handle.task is not None
    await asyncio.sleep(0.1)

    # Only the control message: no database change, as from a process that
    # reaches this runner through the broadcast backplane alone.
    await app.state.parts.hub.publish(
        channels.generation_control(generation_id),
        events.cancel_request(generation_id, by="elsewhere"),
    )
    await asyncio.wait_for(handle.task, 5)

    assert handle.cancel_requested
    await wait_for_status(app, generation_id, "cancelled")


async def test_runner_notices_a_cancel_stored_in_the_database(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app, tier="pro")
    generation_id = await start(client, user.headers)
    await wait_for_status(app, generation_id, "running")
    handle = running_handle(generation_id)
    assert handle is not None and handle.task is not None

    async with app.state.parts.db.session() as session:
        await session.execute(
            update(Generation)
            .where(Generation.id == generation_id)
            .values(status="cancelled")
        )
        await session.commit()
    await asyncio.wait_for(handle.task, 10)

    row = await wait_for_status(app, generation_id, "cancelled")
    assert row.content == ""


async def test_cannot_cancel_completed_generation(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user)

    response = await client.post(
        "/graphql",
        json={"query": CANCEL, "variables": {"id": row.id}},
        headers=user.headers,
    )

    assert response.json()["errors"][0]["extensions"]["code"] == "CONFLICT"
