"""DELETE /v1/users/me and meDelete: scheduling, revocation, the purge job."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from sqlmodel import select
from starlette.applications import Starlette

from models.base import utcnow
from models.job import Job
from models.user import ApiKey, User
from tests.auth.factories import PASSWORD, bearer, error_code, graphql, log_in, sign_up
from tests.factories import make_user

ME_DELETE = """
mutation { meDelete(input: {}) { success message deletionDate } }
"""


async def delete_me(
    client: httpx.AsyncClient, token: str, password: str | None = PASSWORD
) -> httpx.Response:
    body = {"reason": "No longer needed", "feedback": "Optional feedback"}
    if password is not None:
        body["password"] = password
    return await client.request(
        "DELETE", "/v1/users/me", json=body, headers=bearer(token)
    )


async def test_delete_schedules_deletion_30_days_out(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)

    response = await delete_me(client, account["tokens"]["access_token"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "message", "deletion_date"}
    assert body["success"] is True
    assert body["message"] == "Account scheduled for deletion"
    when = datetime.fromisoformat(body["deletion_date"].replace("Z", "+00:00"))
    assert timedelta(days=29, hours=23) < when - utcnow() <= timedelta(days=30)
    async with app.state.parts.db.session() as session:
        job = (
            await session.execute(select(Job).where(Job.kind == "user.purge"))
        ).scalar_one()
    assert job.payload == {"user_id": account["user"]["id"]}
    assert abs((job.run_at - when).total_seconds()) < 2


async def test_delete_refuses_a_wrong_password(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    token = account["tokens"]["access_token"]

    wrong = await delete_me(client, token, "WrongPass123!")
    missing = await delete_me(client, token, None)

    assert wrong.status_code == 403
    assert wrong.json()["error"]["details"]["field"] == "password"
    assert missing.status_code == 403
    assert (await client.get("/v1/users/me", headers=bearer(token))).status_code == 200


async def test_delete_revokes_sessions_and_api_keys(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    token = account["tokens"]["access_token"]
    created = await client.post(
        "/v1/users/me/api-keys", json={"name": "k"}, headers=bearer(token)
    )
    secret = created.json()["api_key"]["key"]

    await delete_me(client, token)

    assert (await client.get("/v1/users/me", headers=bearer(token))).status_code == 401
    assert (await client.get("/v1/users/me", headers=bearer(secret))).status_code == 401
    refreshed = await client.post(
        "/v1/auth/refresh", json={"refresh_token": account["tokens"]["refresh_token"]}
    )
    assert refreshed.status_code == 401
    async with app.state.parts.db.session() as session:
        keys = (await session.execute(select(ApiKey))).scalars().all()
    assert keys == []


async def test_logging_in_during_the_grace_period_cancels_the_deletion(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    await delete_me(client, account["tokens"]["access_token"])

    login = await log_in(client, account["user"]["email"])

    assert login.status_code == 200
    token = login.json()["tokens"]["access_token"]
    assert (await client.get("/v1/users/me", headers=bearer(token))).status_code == 200
    async with app.state.parts.db.session() as session:
        user = await session.get(User, account["user"]["id"])
    assert user is not None
    assert user.deletion_scheduled_at is None


async def test_an_api_key_cannot_delete_the_account(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await make_user(app)
    created = await client.post(
        "/v1/users/me/api-keys", json={"name": "k"}, headers=owner.headers
    )

    response = await delete_me(client, created.json()["api_key"]["key"])

    assert response.status_code == 403


async def test_an_oauth_only_account_deletes_without_a_password(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    handle = await make_user(app)

    body = await graphql(client, ME_DELETE, headers=handle.headers)

    assert body["data"]["meDelete"]["success"] is True
    assert body["data"]["meDelete"]["message"] == "Account scheduled for deletion"


async def test_the_purge_job_deletes_the_account_when_due(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    await delete_me(client, account["tokens"]["access_token"])
    past = utcnow() - timedelta(seconds=1)
    async with app.state.parts.db.session() as session:
        await session.execute(sa.update(User).values(deletion_scheduled_at=past))
        await session.execute(sa.update(Job).values(run_at=past))
        await session.commit()

    gone = await _wait_until_gone(app, account["user"]["id"])

    assert gone
    assert (await log_in(client, account["user"]["email"])).status_code == 401


async def test_the_purge_job_spares_an_account_whose_deletion_was_cancelled(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    await delete_me(client, account["tokens"]["access_token"])
    await log_in(client, account["user"]["email"])
    async with app.state.parts.db.session() as session:
        await session.execute(sa.update(Job).values(run_at=utcnow()))
        await session.commit()

    await _wait_for_jobs(app)

    async with app.state.parts.db.session() as session:
        assert await session.get(User, account["user"]["id"]) is not None


async def test_graphql_delete_needs_the_password_when_there_is_one(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)

    body = await graphql(
        client, ME_DELETE, headers=bearer(account["tokens"]["access_token"])
    )

    assert error_code(body) == "FORBIDDEN"


async def _wait_until_gone(app: Starlette, user_id: str) -> bool:
    for _ in range(200):
        async with app.state.parts.db.session() as session:
            if await session.get(User, user_id) is None:
                return True
        await asyncio.sleep(0.05)
    return False


async def _wait_for_jobs(app: Starlette) -> None:
    for _ in range(200):
        async with app.state.parts.db.session() as session:
            pending = (
                await session.execute(
                    select(Job).where(
                        Job.kind == "user.purge", Job.status != "succeeded"
                    )
                )
            ).first()
        if pending is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the purge job did not run")
