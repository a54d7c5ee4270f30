"""forgot-password and reset-password, with the mail going over real SMTP."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlmodel import select
from starlette.applications import Starlette

from models.base import utcnow
from models.user import PasswordReset
from tests.auth.factories import PASSWORD, bearer, log_in, sign_up, unique_email
from tests.peers.smtp import SmtpPeer

NEW_PASSWORD = "NewSecurePass456!"


def token_in(text: str) -> str:
    match = re.search(r"rst_[A-Za-z0-9_\-]+", text)
    assert match, text
    return match.group(0)


async def forgot(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/v1/auth/forgot-password", json={"email": email})


async def reset(client: httpx.AsyncClient, token: str, password: str) -> httpx.Response:
    return await client.post(
        "/v1/auth/reset-password", json={"token": token, "password": password}
    )


async def test_reset_mail_goes_over_smtp_and_its_token_resets_once(
    mail_client: httpx.AsyncClient, smtp_peer: SmtpPeer
) -> None:
    client = mail_client
    account = await sign_up(client)
    email = account["user"]["email"]

    asked = await forgot(client, email)
    mail = await smtp_peer.wait_for(email)
    text = mail.get_content()
    token = token_in(text)
    done = await reset(client, token, NEW_PASSWORD)
    again = await reset(client, token, "AnotherPass789!")

    assert asked.status_code == 200
    assert asked.json() == {"success": True, "message": "Password reset email sent"}
    assert "http://testserver/reset-password?token=" + token in text
    assert done.status_code == 200
    assert done.json() == {"success": True, "message": "Password reset successfully"}
    assert again.status_code == 400
    assert again.json()["error"]["details"]["field"] == "token"
    assert (await log_in(client, email, NEW_PASSWORD)).status_code == 200
    assert (await log_in(client, email, PASSWORD)).status_code == 401


async def test_reset_revokes_every_session_of_the_user(
    mail_client: httpx.AsyncClient, smtp_peer: SmtpPeer
) -> None:
    client = mail_client
    account = await sign_up(client)
    email = account["user"]["email"]
    other = (await log_in(client, email, remember_me=True)).json()["tokens"]
    await forgot(client, email)
    token = token_in((await smtp_peer.wait_for(email)).get_content())

    await reset(client, token, NEW_PASSWORD)

    for refresh_token in (account["tokens"]["refresh_token"], other["refresh_token"]):
        response = await client.post(
            "/v1/auth/refresh", json={"refresh_token": refresh_token}
        )
        assert response.status_code == 401
    stale = await client.get(
        "/v1/users/me", headers=bearer(account["tokens"]["access_token"])
    )
    assert stale.status_code == 401


async def test_forgot_password_answers_the_same_for_an_unknown_email(
    mail_client: httpx.AsyncClient, smtp_peer: SmtpPeer
) -> None:
    known = (await sign_up(mail_client))["user"]["email"]

    unknown = await forgot(mail_client, unique_email("nobody"))
    existing = await forgot(mail_client, known)

    assert unknown.status_code == existing.status_code == 200
    assert unknown.json() == existing.json()
    await smtp_peer.wait_for(known)
    assert [m["To"] for m in smtp_peer.messages] == [known]


async def test_a_reset_token_expires_after_an_hour(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    await forgot(client, account["user"]["email"])
    outbox = app.state.settings.outbox_dir
    async with app.state.parts.db.session() as session:
        row = (await session.execute(select(PasswordReset))).scalars().one()
        lifetime = row.expires_at - row.created_at
        await session.execute(
            sa.update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    token = await _outbox_token(outbox)

    response = await reset(client, token, NEW_PASSWORD)

    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)
    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "invalid_or_expired"


async def test_reset_refuses_a_weak_password_and_keeps_the_token(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    account = await sign_up(client)
    await forgot(client, account["user"]["email"])
    token = await _outbox_token(app.state.settings.outbox_dir)

    weak = await reset(client, token, "short1")
    strong = await reset(client, token, NEW_PASSWORD)

    assert weak.status_code == 400
    assert weak.json()["error"]["details"]["field"] == "password"
    assert strong.status_code == 200


async def test_reset_refuses_a_made_up_token(client: httpx.AsyncClient) -> None:
    response = await reset(client, "rst_abc123def456", NEW_PASSWORD)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def _outbox_token(outbox: object) -> str:
    """The token of the one mail written to the development outbox."""
    import asyncio
    from email import message_from_bytes, policy
    from pathlib import Path

    directory = Path(str(outbox))
    for _ in range(100):
        files = sorted(directory.glob("*.eml")) if directory.exists() else []
        if files:
            message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
            return token_in(message.get_content())  # type: ignore[attr-defined]
        await asyncio.sleep(0.05)
    raise AssertionError("no mail in the outbox")
