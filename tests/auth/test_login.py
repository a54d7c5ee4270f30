"""POST /v1/auth/login and authLogin: answers, timing and slowing down."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import httpx
from sqlmodel import select
from starlette.applications import Starlette

from models.base import new_id, utcnow
from models.user import RefreshFamily
from tests.auth.factories import PASSWORD, error_code, graphql, log_in, sign_up

LOGIN = """
mutation Login($input: AuthLoginInput!) {
  authLogin(input: $input) { user { email lastLogin } tokens { expiresIn } }
}
"""


async def test_login_answers_the_spec_shape_with_last_login(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    email = account["user"]["email"]

    response = await log_in(client, email.upper(), remember_me=True)

    assert response.status_code == 200
    body = response.json()
    assert set(body["user"]) == {
        "id",
        "email",
        "name",
        "avatar",
        "subscription_tier",
        "last_login",
    }
    assert body["user"]["email"] == email
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["user"]["last_login"])
    assert body["tokens"]["expires_in"] == 3600
    assert body["tokens"]["refresh_token"] != account["tokens"]["refresh_token"]


async def test_unknown_email_and_wrong_password_get_the_same_answer(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)

    wrong = await log_in(client, account["user"]["email"], "WrongPass123!")
    unknown = await log_in(client, f"nobody.{new_id('n', 6)}@example.com")

    assert wrong.status_code == unknown.status_code == 401
    wrong_error, unknown_error = wrong.json()["error"], unknown.json()["error"]
    wrong_error.pop("request_id")
    unknown_error.pop("request_id")
    assert wrong_error == unknown_error


async def test_unknown_email_takes_about_as_long_as_a_wrong_password(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    email = account["user"]["email"]

    async def timed(address: str) -> float:
        started = time.perf_counter()
        response = await log_in(client, address, "WrongPass123!")
        assert response.status_code == 401
        return time.perf_counter() - started

    # Interleaved, so that both kinds meet the same load on a busy machine
    # (four wrong passwords stay within the account's free attempts).
    wrong: list[float] = []
    unknown: list[float] = []
    for _ in range(4):
        wrong.append(await timed(email))
        unknown.append(await timed(f"ghost.{new_id('g', 6)}@example.com"))

    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2.0, (wrong, unknown)


async def test_oauth_only_account_cannot_log_in_with_any_password(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    from tests.factories import make_user

    handle = await make_user(app)

    response = await log_in(client, handle.user.email, PASSWORD)

    assert response.status_code == 401


async def test_repeated_failures_for_one_account_are_slowed_down(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    email = account["user"]["email"]
    for _ in range(5):
        assert (await log_in(client, email, "WrongPass123!")).status_code == 401

    throttled = await log_in(client, email)

    assert throttled.status_code == 429
    error = throttled.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["details"]["scope"] == "account"
    assert error["retry_after"] >= 1
    assert throttled.headers["retry-after"] == str(error["retry_after"])


async def test_repeated_failures_from_one_address_are_slowed_down(
    app: Starlette,
) -> None:
    address = f"203.0.113.{int(time.time() * 1000) % 250 + 1}"
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as client:
        for _ in range(10):
            email = f"spray.{new_id('s', 6)}@example.com"
            assert (await log_in(client, email, "WrongPass123!")).status_code == 401

        throttled = await log_in(client, f"spray.{new_id('s', 6)}@example.com")

    assert throttled.status_code == 429
    assert throttled.json()["error"]["details"]["scope"] == "address"


async def test_a_successful_login_clears_the_account_failures(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    email = account["user"]["email"]
    for _ in range(4):
        await log_in(client, email, "WrongPass123!")
    assert (await log_in(client, email)).status_code == 200

    again = [await log_in(client, email, "WrongPass123!") for _ in range(4)]

    assert [r.status_code for r in again] == [401] * 4


async def test_remember_me_keeps_the_session_for_30_days_instead_of_7(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    email = account["user"]["email"]

    await log_in(client, email, remember_me=True)

    async with app.state.parts.db.session() as session:
        families = (
            (
                await session.execute(
                    select(RefreshFamily).where(
                        RefreshFamily.user_id == account["user"]["id"]
                    )
                )
            )
            .scalars()
            .all()
        )
    lifetimes = sorted(f.expires_at - utcnow() for f in families)
    assert timedelta(days=6) < lifetimes[0] <= timedelta(days=7)
    assert timedelta(days=29) < lifetimes[1] <= timedelta(days=30)


async def test_graphql_login_refuses_a_wrong_password(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    email = account["user"]["email"]

    ok = await graphql(client, LOGIN, {"input": {"email": email, "password": PASSWORD}})
    bad = await graphql(
        client, LOGIN, {"input": {"email": email, "password": "WrongPass123!"}}
    )

    assert ok["data"]["authLogin"]["user"]["email"] == email
    assert ok["data"]["authLogin"]["user"]["lastLogin"]
    assert error_code(bad) == "UNAUTHORIZED"
