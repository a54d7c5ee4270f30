"""Factories shared by every domain's tests: users and their credentials.

Each domain adds its own factories in ``tests/<domain>/factories.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette

from models.base import new_id
from models.user import User
from resolvers.auth_tokens import issue_access_token


@dataclass
class UserHandle:
    user: User
    token: str

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(
    app: Starlette,
    *,
    email: str | None = None,
    name: str = "Test User",
    tier: str = "free",
) -> UserHandle:
    """A stored user with a valid access token (no password)."""
    parts = app.state.parts
    user = User(
        email=email or f"{new_id('u', 10)}@example.com",
        name=name,
        subscription_tier=tier,
    )
    async with parts.db.session() as session:
        session.add(user)
        await session.commit()
    token, _ = issue_access_token(parts.config, user)
    return UserHandle(user=user, token=token)
