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
    MODERATE_TEMPLATES = "moderate_templates"
    SEE_UNSHARED_TEMPLATES = "see_unshared_templates"
    VIEW_INVITE_CODE = "view_invite_code"
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
    Action.MODERATE_TEMPLATES,
    Action.SEE_UNSHARED_TEMPLATES,
    Action.VIEW_INVITE_CODE,
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


ASSIGNABLE_ROLES: tuple[Role, ...] = (Role.ADMIN, Role.EDITOR, Role.VIEWER)
"""Roles an invitation or a role change may grant; ownership only moves by
transfer."""

JOIN_BY_CODE_ROLE = Role.VIEWER
"""The role of someone who joins with the team's invite code."""


def can_assign_role(actor_role: str | None, role: str) -> bool:
    """Whether ``actor_role`` may grant ``role`` (never owner, never above itself)."""
    if actor_role is None or role not in ASSIGNABLE_ROLES:
        return False
    return RANK[Role(role)] <= RANK[Role(actor_role)]


def can_manage_member(actor_role: str | None, target_role: str) -> bool:
    """Whether ``actor_role`` may change or remove a member holding ``target_role``.

    Nobody manages the owner; the owner manages everyone else; an admin
    manages only the roles below admin.
    """
    if actor_role is None or target_role == Role.OWNER:
        return False
    if actor_role == Role.OWNER:
        return True
    return RANK[Role(actor_role)] > RANK[Role(target_role)]


def needs_approval(role: str | None, *, approval_required: bool) -> bool:
    """Whether a generation this member creates in the team waits for approval."""
    return approval_required and not can(role, Action.APPROVE_GENERATIONS)


UNAPPROVED = ("pending", "rejected")
"""Approval states that keep a team generation from the team's viewers."""


def can_see_team_generation(
    role: str | None, *, is_author: bool, approval_status: str | None
) -> bool:
    """Whether a generation of a team is visible to a caller.

    Its author always sees it; members see it by role, except that one
    waiting for approval (or rejected) is visible only to those who approve.
    """
    if is_author:
        return True
    if not can(role, Action.VIEW_GENERATIONS):
        return False
    if approval_status in UNAPPROVED:
        return can(role, Action.APPROVE_GENERATIONS)
    return True


def can_see_template(
    *,
    is_public: bool,
    is_author: bool,
    team_role: str | None,
    shared_templates: bool,
) -> bool:
    """Whether a template is visible: public, the caller's own, or shared
    with a team the caller belongs to.

    A team whose ``shared_templates`` setting is off keeps its templates to
    their authors and to the members who moderate templates.
    """
    if is_public or is_author:
        return True
    if shared_templates:
        return can(team_role, Action.USE_TEMPLATES)
    return can(team_role, Action.SEE_UNSHARED_TEMPLATES)


def can_change_template(*, is_author: bool, team_role: str | None) -> bool:
    """Whether the caller may edit or delete a template: its author, or a
    moderator of the team it belongs to."""
    return is_author or can(team_role, Action.MODERATE_TEMPLATES)


async def memberships_for_user(
    session: AsyncSession, *, user_id: str
) -> dict[str, str]:
    """Every team the user belongs to, with the user's role in it."""
    result = await session.execute(
        select(Membership.team_id, Membership.role).where(
            col(Membership.user_id) == user_id
        )
    )
    return {team_id: role for team_id, role in result.all()}
