"""Team test helpers: a team with one member of every role, read-backs."""

from __future__ import annotations

import email
import email.message
import email.policy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import col, select
from starlette.applications import Starlette

from models.notification import Notification
from models.team import Membership, Team
from models.webhook import WebhookEvent
from tests.factories import UserHandle, make_user

ROLES = ("owner", "admin", "editor", "viewer")


@dataclass
class TeamWorld:
    """A team with one user per role, plus a user outside it."""

    team: Team
    owner: UserHandle
    admin: UserHandle
    editor: UserHandle
    viewer: UserHandle
    outsider: UserHandle

    def by_persona(self, persona: str) -> UserHandle | None:
        if persona == "anonymous":
            return None
        return getattr(self, persona)  # type: ignore[no-any-return]

    @property
    def id(self) -> str:
        return self.team.id


async def make_team(
    app: Starlette,
    owner: UserHandle,
    *,
    name: str = "Marketing Team",
    settings: dict[str, Any] | None = None,
) -> Team:
    """A stored team owned by ``owner``."""
    team = Team(
        name=name,
        description="Content creation team",
        owner_id=owner.id,
        invite_code="T" + owner.id[-8:].upper(),
        settings={
            "default_model": None,
            "shared_templates": True,
            "approval_required": False,
            **(settings or {}),
        },
    )
    async with app.state.parts.db.session() as session:
        session.add(team)
        await session.flush()
        session.add(Membership(team_id=team.id, user_id=owner.id, role="owner"))
        await session.commit()
    return team


async def add_membership(
    app: Starlette, team: Team, user: UserHandle, role: str
) -> None:
    async with app.state.parts.db.session() as session:
        session.add(Membership(team_id=team.id, user_id=user.id, role=role))
        await session.commit()


async def make_world(
    app: Starlette,
    *,
    owner_tier: str = "pro",
    settings: dict[str, Any] | None = None,
    name: str = "Marketing Team",
) -> TeamWorld:
    """A team with an owner, an admin, an editor and a viewer, and an outsider."""
    owner = await make_user(app, name="Olivia Owner", tier=owner_tier)
    team = await make_team(app, owner, settings=settings, name=name)
    handles: dict[str, UserHandle] = {}
    for role in ("admin", "editor", "viewer"):
        handles[role] = await make_user(app, name=f"{role.title()} Member")
        await add_membership(app, team, handles[role], role)
    outsider = await make_user(app, name="Oscar Outsider")
    return TeamWorld(team=team, owner=owner, outsider=outsider, **handles)


async def graphql(
    client: httpx.AsyncClient,
    document: str,
    variables: dict[str, Any] | None = None,
    user: UserHandle | None = None,
) -> dict[str, Any]:
    """Run ``document`` on /graphql as ``user`` (anonymous when None)."""
    response = await client.post(
        "/graphql",
        json={"query": document, "variables": variables or {}},
        headers=user.headers if user else {},
    )
    body: dict[str, Any] = response.json()
    return body


def error_code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def roles_of(app: Starlette, team_id: str) -> dict[str, str]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(Membership.user_id, Membership.role).where(
                col(Membership.team_id) == team_id
            )
        )
        return dict(rows.all())  # type: ignore[arg-type]


async def events_of(app: Starlette, user_id: str, type: str) -> list[dict[str, Any]]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(WebhookEvent).where(
                col(WebhookEvent.user_id) == user_id, col(WebhookEvent.type) == type
            )
        )
        return [event.data for event in rows.scalars()]


async def notifications_of(app: Starlette, user_id: str) -> list[Notification]:
    async with app.state.parts.db.session() as session:
        rows = await session.execute(
            select(Notification)
            .where(col(Notification.user_id) == user_id)
            .order_by(col(Notification.created_at))
        )
        return list(rows.scalars())


def outbox_messages(app: Starlette) -> list[email.message.EmailMessage]:
    """Mail the outbox mailer wrote, oldest first."""
    directory = Path(app.state.settings.outbox_dir)
    if not directory.exists():
        return []
    files = sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for f in files
    ]


def mail_text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
