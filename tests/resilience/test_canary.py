"""The canary scan itself: it finds a stored secret in a response, and lets a
webhook secret be shown exactly once."""

from __future__ import annotations

import httpx
from sqlmodel import select
from starlette.applications import Starlette

from models.user import User
from tests.auth.factories import sign_up
from tests.resilience.canary import Recorder


def answer(text: str, url: str = "http://testserver/v1/anything") -> httpx.Response:
    response = httpx.Response(200, text=text, request=httpx.Request("GET", url))
    response.read()
    return response


async def test_a_stored_password_hash_in_a_response_is_found(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    async with app.state.parts.db.session() as session:
        user = (
            await session.execute(select(User).where(User.id == account["user"]["id"]))
        ).scalar_one()
    assert user.password_hash is not None
    scan = Recorder(responses=[answer(f'{{"leak": "{user.password_hash}"}}')])

    leaks = await scan.leaks(app)

    assert any(line.startswith("password_hash#") for line in leaks)


async def test_the_argon2_marker_is_found_anywhere(app: Starlette) -> None:
    scan = Recorder(responses=[answer("x $argon2i$v=19$m=8 y")])

    assert await scan.leaks(app) == ["$argon2 in GET http://testserver/v1/anything"]


async def test_a_webhook_secret_may_be_shown_once_but_not_twice(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    headers = {"Authorization": f"Bearer {account['tokens']['access_token']}"}
    created = await client.post(
        "/v1/webhooks", json={"url": "https://93.184.215.14/h"}, headers=headers
    )
    secret = created.json()["secret"]

    once = Recorder(responses=[answer(created.text)])
    twice = Recorder(responses=[answer(created.text), answer(f'"{secret}"')])

    assert await once.leaks(app) == []
    assert len(await twice.leaks(app)) == 1


async def test_a_clean_response_is_not_flagged(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    me = await client.get(
        "/v1/users/me",
        headers={"Authorization": f"Bearer {account['tokens']['access_token']}"},
    )

    assert await Recorder(responses=[me]).leaks(app) == []
