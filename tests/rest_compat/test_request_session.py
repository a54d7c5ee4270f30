"""A REST request through the shim uses one session for all its steps
(authentication, the resolver, loaders): on PostgreSQL one connection is
checked out per request instead of one per step, and none stays checked out
after the answer, whatever the answer was."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.factories import make_user
from tests.generation.factories import make_generation
from tests.support import DatabaseCounter

READ_STATEMENTS = 3  # the caller, the generation, its versions


async def get_counted(
    app: Starlette, client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, DatabaseCounter]:
    request_id = "req_sharedsession0001"
    engine = app.state.parts.db.engine
    with DatabaseCounter(engine, request_id=request_id) as counter:
        response = await client.get(
            path, headers={**headers, "X-Request-ID": request_id}
        )
    assert response.headers["x-request-id"] == request_id
    return response, counter


async def test_a_read_checks_out_one_connection_on_postgres(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user)
    path = f"/v1/generate/{row.id}"
    assert (await client.get(path, headers=user.headers)).status_code == 200

    response, counter = await get_counted(app, client, path, user.headers)

    assert response.status_code == 200
    assert response.json()["generation"]["id"] == row.id
    assert len(counter.statements) == READ_STATEMENTS, counter.statements
    if app.state.parts.db.dialect == "postgresql":
        assert counter.connections == 1
    else:
        # SQLite ends each step's read transaction (the session is reused)
        assert counter.connections <= READ_STATEMENTS


async def test_no_connection_stays_checked_out_after_any_answer(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    row = await make_generation(app, user)
    pool = app.state.parts.db.engine.sync_engine.pool

    answers = [
        await client.get(f"/v1/generate/{row.id}", headers=user.headers),
        await client.get("/v1/generate/gen_doesnotexist00000", headers=user.headers),
        await client.get(f"/v1/generate/{row.id}"),
        await client.delete(f"/v1/generate/{row.id}", headers=user.headers),
        await client.get(f"/v1/generate/{row.id}", headers=user.headers),
    ]

    codes = [a.status_code for a in answers]
    assert codes[:3] == [200, 404, 401] and codes[3] < 300 and codes[4] == 404
    assert pool.checkedout() == 0
