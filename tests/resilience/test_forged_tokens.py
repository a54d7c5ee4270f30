"""Forged tokens on every surface of a live server: REST and GraphQL answer 401
UNAUTHORIZED, the spec's WebSocket closes with 4000 (4001 when only expired),
GraphQL over WebSocket refuses the ``connection_init`` with 4403. Also: one
refresh token spent by fifty clients at once, and the stored password hashes."""

from __future__ import annotations

import asyncio
from typing import Any

import argon2
import httpx
import orjson
import pytest
from argon2 import PasswordHasher, Type
from sqlmodel import select
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from models.user import User
from tests.auth.factories import PASSWORD, bearer, unique_email
from tests.resilience.canary import Recorder
from tests.resilience.forgeries import EXPIRED, FORGERIES, Subject
from tests.support import LiveServer

ME = "query { me { id email } }"


async def live_account(
    http: httpx.AsyncClient, app: Starlette, email: str | None = None
) -> tuple[Subject, dict[str, Any]]:
    """Sign up on the live server; the forger's view of the new account."""
    response = await http.post(
        "/v1/auth/signup",
        json={"email": email or unique_email(), "password": PASSWORD, "name": "V"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    async with app.state.parts.db.session() as session:
        user = await session.get(User, body["user"]["id"])
    assert user is not None
    subject = Subject(
        config=app.state.parts.config,
        user=user,
        refresh_token=body["tokens"]["refresh_token"],
    )
    return subject, body


async def ws_close_code(url: str) -> int | None:
    """Connect and return the code the server closes with (None when it sent
    a frame instead, as it does to a genuine credential)."""
    async with connect(url) as ws:
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed:
            return ws.close_code
        return None


async def transport_ws_close_code(server: LiveServer, token: str) -> int | None:
    async with connect(
        f"{server.ws_url}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    ) as ws:
        init = {"type": "connection_init", "payload": {"token": token}}
        await ws.send(orjson.dumps(init).decode())
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed:
            return ws.close_code
        return None


def test_the_corpus_has_at_least_sixteen_variants() -> None:
    assert len(FORGERIES) >= 16


async def test_every_forgery_is_unauthorized_on_rest_and_graphql(
    app: Starlette, live_server: LiveServer, recorder: Recorder
) -> None:
    async with recorder.client(live_server.url) as http:
        subject, _ = await live_account(http, app)

        wrong: dict[str, Any] = {}
        for name, forge in FORGERIES.items():
            token = forge(subject)
            rest = await http.get("/v1/users/me", headers=bearer(token))
            gql = await http.post("/graphql", json={"query": ME}, headers=bearer(token))
            gql_body = gql.json()
            codes = [e["extensions"]["code"] for e in gql_body.get("errors") or []]
            if rest.status_code != 401 or rest.json()["error"]["code"] != (
                "UNAUTHORIZED"
            ):
                wrong[f"{name} rest"] = rest.status_code
            if codes != ["UNAUTHORIZED"] or (gql_body.get("data") or {}).get("me"):
                wrong[f"{name} graphql"] = gql_body

    assert wrong == {}


async def test_every_forgery_is_refused_on_both_websocket_protocols(
    app: Starlette, live_server: LiveServer, recorder: Recorder
) -> None:
    async with recorder.client(live_server.url) as http:
        subject, _ = await live_account(http, app)

    spec: dict[str, int | None] = {}
    transport: dict[str, int | None] = {}
    for name, forge in FORGERIES.items():
        token = forge(subject)
        spec[name] = await ws_close_code(f"{live_server.ws_url}/v1?token={token}")
        transport[name] = await transport_ws_close_code(live_server, token)

    assert {n: c for n, c in spec.items() if c != 4000 and n not in EXPIRED} == {}
    assert {n: spec[n] for n in EXPIRED} == {n: 4001 for n in EXPIRED}
    assert {n: c for n, c in transport.items() if c != 4403} == {}


async def test_the_genuine_credentials_of_the_same_account_still_work(
    app: Starlette, live_server: LiveServer, recorder: Recorder
) -> None:
    async with recorder.client(live_server.url) as http:
        _, body = await live_account(http, app)
        token = body["tokens"]["access_token"]

        rest = await http.get("/v1/users/me", headers=bearer(token))
        async with connect(f"{live_server.ws_url}/v1?token={token}") as ws:
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 10))

    assert rest.status_code == 200
    assert frame["type"] == "connected"


async def test_fifty_concurrent_refreshes_on_a_live_server_let_exactly_one_win(
    app: Starlette, live_server: LiveServer, recorder: Recorder
) -> None:
    async with recorder.client(live_server.url) as http:
        subject, _ = await live_account(http, app)
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=0)

    async with recorder.client(live_server.url, limits=limits) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/v1/auth/refresh", json={"refresh_token": subject.refresh_token}
                )
                for _ in range(50)
            )
        )

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(401) == 49
    assert all(
        r.json()["error"]["code"] == "UNAUTHORIZED"
        for r in responses
        if r.status_code == 401
    )


def argon2_parameters(stored: str | None) -> argon2.Parameters:
    assert stored is not None
    return argon2.extract_parameters(stored)


async def stored_hash(app: Starlette, email: str) -> str | None:
    async with app.state.parts.db.session() as session:
        user = (
            await session.execute(select(User).where(User.email == email))
        ).scalar_one()
    return user.password_hash


async def test_the_stored_password_hash_is_argon2id_of_at_least_19_mib_and_2_passes(
    app: Starlette, live_server: LiveServer, recorder: Recorder
) -> None:
    email = unique_email()
    async with recorder.client(live_server.url) as http:
        await live_account(http, app, email)

    parameters = argon2_parameters(await stored_hash(app, email))

    assert parameters.type is Type.ID
    assert parameters.memory_cost >= 19456
    assert parameters.time_cost >= 2
    assert parameters.salt_len >= 16


async def test_a_weaker_stored_hash_is_replaced_at_the_next_login(
    app: Starlette, live_server: LiveServer, recorder: Recorder
) -> None:
    email = unique_email()
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.I)
    async with recorder.client(live_server.url) as http:
        await live_account(http, app, email)
        async with app.state.parts.db.session() as session:
            user = (
                await session.execute(select(User).where(User.email == email))
            ).scalar_one()
            user.password_hash = weak.hash(PASSWORD)
            await session.commit()

        login = await http.post(
            "/v1/auth/login", json={"email": email, "password": PASSWORD}
        )

    parameters = argon2_parameters(await stored_hash(app, email))
    assert login.status_code == 200
    assert parameters.type is Type.ID
    assert parameters.memory_cost >= 19456
    assert parameters.time_cost >= 2


@pytest.mark.parametrize("forgery", ["alg_none", "retired_signing_key"])
async def test_a_forged_token_opens_no_sse_stream(
    app: Starlette, live_server: LiveServer, recorder: Recorder, forgery: str
) -> None:
    async with recorder.client(live_server.url) as http:
        subject, _ = await live_account(http, app)
        token = FORGERIES[forgery](subject)

        response = await http.post(
            "/v1/generate/stream",
            json={"format": "summary", "input": "A short text to summarise here."},
            headers=bearer(token),
        )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
