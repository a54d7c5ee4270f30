"""Team roles and what each may do: the one table every surface reads."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.team import Membership
from resolvers.errors import Forbidden, NotFound


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class Action(StrEnum):
    VIEW_TEAM = "view_team"
    VIEW_MEMBERS = "view_members"
    VIEW_GENERATIONS = "view_generations"
    CREATE_GENERATIONS = "create_generations"
    EDIT_GENERATIONS = "edit_generations"
    DELETE_GENERATIONS = "delete_generations"
    APPROVE_GENERATIONS = "approve_generations"
    USE_TEMPLATES = "use_templates"
    MANAGE_TEMPLATES = "manage_templates"
    INVITE_MEMBERS = "invite_members"
    REMOVE_MEMBERS = "remove_members"
    CHANGE_ROLES = "change_roles"
    UPDATE_TEAM = "update_team"
    DELETE_TEAM = "delete_team"
    TRANSFER_OWNERSHIP = "transfer_ownership"


_VIEWER = {
    Action.VIEW_TEAM,
    Action.VIEW_MEMBERS,
    Action.VIEW_GENERATIONS,
    Action.USE_TEMPLATES,
}
_EDITOR = _VIEWER | {
    Action.CREATE_GENERATIONS,
    Action.EDIT_GENERATIONS,
    Action.MANAGE_TEMPLATES,
}
_ADMIN = _EDITOR | {
    Action.DELETE_GENERATIONS,
    Action.APPROVE_GENERATIONS,
    Action.INVITE_MEMBERS,
    Action.REMOVE_MEMBERS,
    Action.CHANGE_ROLES,
    Action.UPDATE_TEAM,
}
_OWNER = _ADMIN | {Action.DELETE_TEAM, Action.TRANSFER_OWNERSHIP}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(_OWNER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.EDITOR: frozenset(_EDITOR),
    Role.VIEWER: frozenset(_VIEWER),
}

RANK: dict[Role, int] = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2, Role.OWNER: 3}


def can(role: str | None, action: Action) -> bool:
    """Whether a member with ``role`` may do ``action`` (None: not a member)."""
    if role is None or role not in Role.__members__.values():
        return False
    return action in PERMISSIONS[Role(role)]


async def member_role(
    session: AsyncSession, *, team_id: str, user_id: str
) -> str | None:
    """The user's role in the team, or None when they are not a member."""
    result = await session.execute(
        select(Membership.role).where(
            col(Membership.team_id) == team_id, col(Membership.user_id) == user_id
        )
    )
    return result.scalar_one_or_none()


async def team_ids_for_user(session: AsyncSession, *, user_id: str) -> list[str]:
    """Every team the user belongs to."""
    result = await session.execute(
        select(Membership.team_id).where(col(Membership.user_id) == user_id)
    )
    return list(result.scalars())


async def require_team_action(
    session: AsyncSession, *, team_id: str, user_id: str, action: Action
) -> str:
    """The caller's role, if it allows ``action``.

    A non-member gets NOT_FOUND (a team's existence is not disclosed); a
    member whose role falls short gets FORBIDDEN.
    """
    role = await member_role(session, team_id=team_id, user_id=user_id)
    if role is None:
        raise NotFound("Team not found", details={"team_id": team_id})
    if not can(role, action):
        raise Forbidden(
            f"Your role '{role}' in this team does not allow {action.value}",
            details={"team_id": team_id, "role": role, "action": action.value},
        )
    return role
