"""Invitations: the mail and its link, expiry, single use, the right address,
the member limit, joining by code, declining."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlmodel import col
from starlette.applications import Starlette

from models.base import utcnow
from models.team import Invitation
from tests.factories import make_user
from tests.team.factories import (
    events_of,
    mail_text,
    make_world,
    notifications_of,
    outbox_messages,
    roles_of,
)

LINK = re.compile(r"http://testserver/invite/([A-Za-z0-9_\-]+)")


async def invite(
    client: httpx.AsyncClient, team_id: str, headers: dict[str, str], **body: str
) -> httpx.Response:
    return await client.post(f"/v1/teams/{team_id}/invite", json=body, headers=headers)


def token_of(link: str) -> str:
    match = LINK.fullmatch(link)
    assert match, link
    return match.group(1)


async def test_invite_answers_the_spec_shape_and_mails_the_link(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await invite(
        client,
        world.id,
        world.admin.headers,
        email="NewMember@Example.com",
        role="editor",
        message="Welcome to our team!",
    )

    assert response.status_code == 200
    invitation = response.json()["invitation"]
    assert set(invitation) == {"id", "email", "role", "expires_at", "invite_link"}
    assert invitation["id"].startswith("ivt_")
    assert invitation["email"] == "newmember@example.com"
    assert invitation["role"] == "editor"
    token_of(invitation["invite_link"])
    (mail,) = outbox_messages(app)
    assert mail["To"] == "newmember@example.com"
    assert "Marketing Team" in mail["Subject"]
    text = mail_text(mail)
    assert invitation["invite_link"] in text
    assert "Welcome to our team!" in text


async def test_invitation_expires_seven_days_after_sending(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await invite(client, world.id, world.owner.headers, email="a@b.co")

    expires = response.json()["invitation"]["expires_at"]
    expected = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    assert expires.startswith(expected[:-1])


async def test_the_token_is_stored_only_as_a_hash(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await invite(client, world.id, world.owner.headers, email="a@b.co")

    token = token_of(response.json()["invitation"]["invite_link"])
    async with app.state.parts.db.session() as session:
        stored = (await session.execute(sa.select(Invitation))).scalars().one()
    assert token not in stored.token_hash
    assert len(stored.token_hash) == 64


async def test_accepting_the_mailed_link_joins_with_the_invited_role(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    invitee = await make_user(app, email="joiner@example.com", name="Joiner")
    await invite(
        client, world.id, world.admin.headers, email="joiner@example.com", role="viewer"
    )
    link = LINK.search(mail_text(outbox_messages(app)[0]))
    assert link is not None

    response = await client.post(
        f"/v1/invitations/{link.group(1)}/accept", headers=invitee.headers
    )

    assert response.status_code == 200
    assert response.json()["team"]["id"] == world.id
    assert (await roles_of(app, world.id))[invitee.id] == "viewer"
    added = await events_of(app, world.owner.id, "team.member.added")
    assert added == [{"team_id": world.id, "user_id": invitee.id, "role": "viewer"}]


async def test_an_existing_user_is_also_notified_in_the_app(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    invitee = await make_user(app, email="known@example.com")

    response = await invite(
        client, world.id, world.owner.headers, email="known@example.com"
    )

    (notice,) = await notifications_of(app, invitee.id)
    assert notice.type == "team_invite"
    assert "Marketing Team" in notice.message
    assert notice.action_url == response.json()["invitation"]["invite_link"]


async def test_an_invitation_works_only_once(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    invitee = await make_user(app, email="once@example.com")
    response = await invite(
        client, world.id, world.owner.headers, email="once@example.com"
    )
    token = token_of(response.json()["invitation"]["invite_link"])
    first = await client.post(
        f"/v1/invitations/{token}/accept", headers=invitee.headers
    )
    await client.delete(
        f"/v1/teams/{world.id}/members/{invitee.id}", headers=world.owner.headers
    )

    again = await client.post(
        f"/v1/invitations/{token}/accept", headers=invitee.headers
    )

    assert first.status_code == 200
    assert again.status_code == 409
    assert again.json()["error"]["details"]["reason"] == "already_used"
    assert invitee.id not in await roles_of(app, world.id)


async def test_an_expired_invitation_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    invitee = await make_user(app, email="late@example.com")
    response = await invite(
        client, world.id, world.owner.headers, email="late@example.com"
    )
    token = token_of(response.json()["invitation"]["invite_link"])
    async with app.state.parts.db.session() as session:
        await session.execute(
            sa.update(Invitation)
            .where(col(Invitation.email) == "late@example.com")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()

    refused = await client.post(
        f"/v1/invitations/{token}/accept", headers=invitee.headers
    )

    assert refused.status_code == 400
    assert refused.json()["error"]["details"] == {"field": "token", "reason": "expired"}
    assert invitee.id not in await roles_of(app, world.id)


async def test_an_invitation_cannot_be_accepted_from_another_address(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    response = await invite(
        client, world.id, world.owner.headers, email="meant@example.com"
    )
    token = token_of(response.json()["invitation"]["invite_link"])
    stranger = await make_user(app, email="stranger@example.com")

    refused = await client.post(
        f"/v1/invitations/{token}/accept", headers=stranger.headers
    )

    assert refused.status_code == 403
    assert "Marketing Team" not in refused.text
    assert stranger.id not in await roles_of(app, world.id)


async def test_an_unknown_token_is_not_found(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)

    response = await client.post("/v1/invitations/nope/accept", headers=user.headers)

    assert response.status_code == 404


async def test_the_member_limit_follows_the_owners_tier(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # free allows 3 members; the world has 4 already under a pro owner.
    world = await make_world(app, owner_tier="free")

    refused = await invite(client, world.id, world.owner.headers, email="x@example.com")

    assert refused.status_code == 402
    error = refused.json()["error"]
    assert error["code"] == "QUOTA_EXCEEDED"
    assert error["details"]["limit"] == 3


async def test_pending_invitations_count_against_the_limit(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, tier="free")
    created = await client.post(
        "/v1/teams", json={"name": "Small"}, headers=owner.headers
    )
    team_id = created.json()["team"]["id"]

    first = await invite(client, team_id, owner.headers, email="one@example.com")
    second = await invite(client, team_id, owner.headers, email="two@example.com")
    third = await invite(client, team_id, owner.headers, email="three@example.com")
    again = await invite(client, team_id, owner.headers, email="one@example.com")

    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 402]
    assert again.status_code == 200


async def test_accepting_past_the_limit_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, tier="pro")
    created = await client.post(
        "/v1/teams", json={"name": "Tight"}, headers=owner.headers
    )
    team_id = created.json()["team"]["id"]
    invitee = await make_user(app, email="last@example.com")
    response = await invite(client, team_id, owner.headers, email="last@example.com")
    token = token_of(response.json()["invitation"]["invite_link"])
    async with app.state.parts.db.session() as session:
        await session.execute(
            sa.text("UPDATE users SET subscription_tier = 'free' WHERE id = :id"),
            {"id": owner.id},
        )
        await session.commit()
    for _ in range(2):
        joiner = await make_user(app)
        code = created.json()["team"]["invite_code"]
        await client.post(
            "/v1/teams/join", json={"invite_code": code}, headers=joiner.headers
        )

    refused = await client.post(
        f"/v1/invitations/{token}/accept", headers=invitee.headers
    )

    assert refused.status_code == 402
    assert invitee.id not in await roles_of(app, team_id)


async def test_declining_makes_the_link_unusable(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)
    invitee = await make_user(app, email="no@example.com")
    response = await invite(
        client, world.id, world.owner.headers, email="no@example.com"
    )
    token = token_of(response.json()["invitation"]["invite_link"])

    declined = await client.post(
        f"/v1/invitations/{token}/decline", headers=invitee.headers
    )
    accepted = await client.post(
        f"/v1/invitations/{token}/accept", headers=invitee.headers
    )

    assert declined.json() == {"success": True, "message": "Invitation declined"}
    assert accepted.status_code == 409


async def test_joining_by_code_makes_a_viewer(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app, tier="pro")
    created = await client.post(
        "/v1/teams", json={"name": "Open"}, headers=owner.headers
    )
    code = created.json()["team"]["invite_code"]
    joiner = await make_user(app)

    response = await client.post(
        "/v1/teams/join", json={"invite_code": code.lower()}, headers=joiner.headers
    )
    again = await client.post(
        "/v1/teams/join", json={"invite_code": code}, headers=joiner.headers
    )

    assert response.status_code == 200
    assert response.json()["team"]["role"] == "viewer"
    assert again.status_code == 409


async def test_a_wrong_invite_code_is_not_found(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    joiner = await make_user(app)

    response = await client.post(
        "/v1/teams/join", json={"invite_code": "NOPE123"}, headers=joiner.headers
    )

    assert response.status_code == 404


async def test_an_admin_cannot_invite_an_owner_and_a_bad_email_is_refused(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    owner_role = await invite(
        client, world.id, world.admin.headers, email="a@example.com", role="owner"
    )
    bad_email = await invite(
        client, world.id, world.admin.headers, email="not-an-email"
    )

    assert owner_role.status_code == 400
    assert owner_role.json()["error"]["details"]["field"] == "role"
    assert bad_email.status_code == 400
    assert bad_email.json()["error"]["details"]["field"] == "email"


async def test_inviting_a_member_is_a_conflict(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    world = await make_world(app)

    response = await invite(
        client, world.id, world.owner.headers, email=world.editor.user.email
    )

    assert response.status_code == 409
