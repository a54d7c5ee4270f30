"""Factories for the realtime tests: teams, API keys, tokens, server calls."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import jwt
from starlette.applications import Starlette

from models.base import new_id, utcnow
from models.generation import Generation
from models.team import Membership, Team
from models.user import ApiKey
from resolvers.auth_tokens import ALGORITHM, AUDIENCE, ISSUER, hash_secret
from tests.factories import UserHandle
from tests.support import LiveServer

T = TypeVar("T")


async def make_team(app: Starlette, owner: UserHandle, *members: UserHandle) -> str:
    """A team owned by ``owner`` with ``members`` as editors; its id."""
    parts = app.state.parts
    team = Team(name="Realtime team", owner_id=owner.id, invite_code=new_id("inv", 12))
    async with parts.db.session() as session:
        session.add(team)
        await session.flush()
        session.add(Membership(team_id=team.id, user_id=owner.id, role="owner"))
        for member in members:
            session.add(Membership(team_id=team.id, user_id=member.id, role="editor"))
        await session.commit()
    return team.id


async def make_api_key(
    app: Starlette, user: UserHandle, *, permissions: list[str]
) -> str:
    """A stored API key for ``user``; its secret."""
    parts = app.state.parts
    secret = "hv_" + new_id("k", 30)
    key = ApiKey(
        user_id=user.id,
        name="realtime test",
        key_hash=hash_secret(parts.config, secret),
        key_prefix=secret[:8],
        last_4=secret[-4:],
        permissions=permissions,
    )
    async with parts.db.session() as session:
        session.add(key)
        await session.commit()
    return secret


async def make_generation(
    app: Starlette, user: UserHandle, *, status: str = "running", **fields: Any
) -> str:
    """A generation row with no runner behind it; its id."""
    row = Generation(
        user_id=user.id,
        format="blog",
        status=status,
        model="offline",
        input="A row made by a test",
        **fields,
    )
    async with app.state.parts.db.session() as session:
        session.add(row)
        await session.commit()
    return row.id


def expired_token(app: Starlette, user: UserHandle) -> str:
    """An access token signed with the right key, expired a minute ago."""
    past = utcnow() - timedelta(hours=2)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user.id,
        "iat": int(past.timestamp()),
        "nbf": int(past.timestamp()),
        "exp": int((past + timedelta(minutes=59)).timestamp()),
        "jti": new_id("jti", 20),
        "typ": "access",
    }
    return jwt.encode(claims, app.state.parts.config.secret_key, algorithm=ALGORITHM)


async def in_server(server: LiveServer, work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` on the live server's event loop (its hub lives there)."""
    loop = server.app.state.parts.hub.loop
    assert loop is not None
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))


def largest_write_buffer(server: LiveServer) -> int:
    """The most bytes uvicorn holds unsent for any one open connection now."""
    sizes = [0]
    for protocol in server.server.server_state.connections:  # type: ignore[union-attr]
        transport = getattr(protocol, "transport", None)
        if transport is not None and not transport.is_closing():
            sizes.append(transport.get_write_buffer_size())
    return max(sizes)
