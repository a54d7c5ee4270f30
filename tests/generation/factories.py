"""Factories for the generation tests: stored generations and teams."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.applications import Starlette

from models.base import new_id, utcnow
from models.generation import Generation, GenerationVersion
from models.team import Membership, Team
from tests.factories import UserHandle


async def make_generation(
    app: Starlette,
    user: UserHandle,
    *,
    content: str = "# A Title\n\nSome text about solar panels.",
    format: str = "blog",
    model: str = "offline-writer",
    status: str = "completed",
    team_id: str | None = None,
    created_at: datetime | None = None,
    **extra: Any,
) -> Generation:
    """A completed generation with its version 1, stored directly."""
    row = Generation(
        user_id=user.id,
        team_id=team_id,
        format=format,
        status=status,
        model=model,
        input="notes",
        options={"length": "medium"},
        title=content.splitlines()[0].lstrip("# "),
        content=content,
        word_count=len(content.split()),
        created_at=created_at or utcnow(),
        **extra,
    )
    async with app.state.parts.db.session() as session:
        session.add(row)
        await session.flush()
        if status == "completed":
            session.add(
                GenerationVersion(generation_id=row.id, version=1, content=content)
            )
        await session.commit()
    return row


async def make_team(
    app: Starlette,
    owner: UserHandle,
    members: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
) -> Team:
    """A team owned by ``owner`` with ``members`` (user id -> role)."""
    team = Team(
        name="Marketing",
        owner_id=owner.id,
        invite_code=new_id("inv", 10),
        settings=settings or {},
    )
    async with app.state.parts.db.session() as session:
        session.add(team)
        await session.flush()
        session.add(Membership(team_id=team.id, user_id=owner.id, role="owner"))
        for user_id, role in (members or {}).items():
            session.add(Membership(team_id=team.id, user_id=user_id, role=role))
        await session.commit()
    return team
