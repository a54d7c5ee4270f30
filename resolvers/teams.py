"""Teams: creation, settings, members and their roles, usage, ownership.

Who may do what is decided by ``resolvers.permissions`` alone. A caller who
is not a member of a team is told it does not exist (NOT_FOUND); a member
whose role falls short is told FORBIDDEN. Invitations live in
``resolvers.invitations`` and add members through :func:`add_member`.
"""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.generation import Generation
from models.notification import Notification
from models.team import Invitation, Membership, Team
from models.user import User
from resolvers import permissions
from resolvers.context import RequestContext
from resolvers.errors import (
    Conflict,
    Forbidden,
    NotFound,
    QuotaExceeded,
    ValidationFailed,
)
from resolvers.events import emit_event
from resolvers.notifications import add_notification, push_notification
from resolvers.pagination import PageInfo, PageRequest, paginate
from resolvers.permissions import Action, Role
from resolvers.tiers import get_tier
from resolvers.usage import month_period, usage_between

logger = logging.getLogger(__name__)

DEFAULT_SETTINGS: dict[str, Any] = {
    "default_model": None,
    "shared_templates": True,
    "approval_required": False,
}
NAME_MAX = 200
DESCRIPTION_MAX = 2000
MODEL_NAME_MAX = 100
_CODE_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class TeamSettings:
    """A team's settings, with defaults filled in."""

    default_model: str | None
    shared_templates: bool
    approval_required: bool


@dataclass(frozen=True)
class PersonSummary:
    """The few public facts about a user shown beside a team or a template."""

    id: str
    name: str
    avatar: str | None


@dataclass(frozen=True)
class TeamListItem:
    """One of the caller's teams, with the caller's role in it."""

    team: Team
    role: str
    members_count: int
    owner: PersonSummary


@dataclass(frozen=True)
class MemberView:
    id: str
    name: str
    email: str
    avatar: str | None
    role: str
    joined_at: datetime


@dataclass(frozen=True)
class TeamUsage:
    """The team's usage this calendar month (UTC).

    ``active_members`` counts current members with at least one generation in
    the team during the period.
    """

    total_generations: int
    tokens_used: int
    active_members: int
    period_start: datetime
    period_end: datetime


@dataclass(frozen=True)
class TeamDetail:
    team: Team
    role: str
    members: list[MemberView]
    usage: TeamUsage
    invite_code: str | None


@dataclass(frozen=True)
class Outcome:
    """The spec's ``{success, message}`` answer."""

    success: bool
    message: str


def team_settings(team: Team) -> TeamSettings:
    """The team's settings; keys never set take their defaults."""
    merged = {**DEFAULT_SETTINGS, **(team.settings or {})}
    return TeamSettings(
        default_model=merged["default_model"],
        shared_templates=bool(merged["shared_templates"]),
        approval_required=bool(merged["approval_required"]),
    )


def validate_settings(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check a settings change key by key, naming the first bad one."""
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        field = f"settings.{key}"
        if key not in DEFAULT_SETTINGS:
            raise ValidationFailed(
                field=field,
                reason="unknown setting: use " + ", ".join(sorted(DEFAULT_SETTINGS)),
            )
        if key == "default_model":
            if value is not None and (
                not isinstance(value, str)
                or not value.strip()
                or len(value) > MODEL_NAME_MAX
            ):
                raise ValidationFailed(
                    field=field,
                    reason=f"must be a model name of 1 to {MODEL_NAME_MAX} characters",
                )
            checked[key] = value.strip() if isinstance(value, str) else None
        else:
            if not isinstance(value, bool):
                raise ValidationFailed(field=field, reason="must be true or false")
            checked[key] = value
    return checked


def _clean_text(value: str, *, field: str, limit: int, required: bool) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise ValidationFailed(field=field, reason="must not be empty")
    if len(cleaned) > limit:
        raise ValidationFailed(field=field, reason=f"at most {limit} characters")
    return cleaned


async def _new_invite_code(session: AsyncSession, name: str) -> str:
    """A short unused code: up to three letters of the name and random
    characters (``MKT7Q2F``)."""
    letters = "".join(c for c in name.upper() if c in string.ascii_uppercase)[:3]
    for length in (4, 4, 6, 8):
        code = (letters or "T") + "".join(
            secrets.choice(_CODE_ALPHABET) for _ in range(length)
        )
        taken = await session.scalar(
            select(sa.func.count())
            .select_from(Team)
            .where(col(Team.invite_code) == code)
        )
        if not taken:
            return code
    raise Conflict("Could not find a free invite code: retry")


async def load_team(session: AsyncSession, team_id: str) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound("Team not found", details={"team_id": team_id})
    return team


async def _person(session: AsyncSession, user_id: str) -> PersonSummary:
    user = await session.get(User, user_id)
    if user is None:
        return PersonSummary(id=user_id, name="", avatar=None)
    return PersonSummary(id=user.id, name=user.name, avatar=user.avatar)


async def members_count(session: AsyncSession, team_id: str) -> int:
    total = await session.scalar(
        select(sa.func.count())
        .select_from(Membership)
        .where(col(Membership.team_id) == team_id)
    )
    return int(total or 0)


async def member_limit(session: AsyncSession, team: Team) -> int:
    """How many members the team may have: the OWNER's tier decides."""
    owner = await session.get(User, team.owner_id)
    return get_tier(owner.subscription_tier if owner else "free").team_members


async def create_team(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    name: str,
    description: str = "",
    settings: Mapping[str, Any] | None = None,
) -> Team:
    """A new team owned by the caller, with a unique invite code."""
    principal = ctx.require_writer()
    name = _clean_text(name, field="name", limit=NAME_MAX, required=True)
    description = _clean_text(
        description, field="description", limit=DESCRIPTION_MAX, required=False
    )
    chosen = validate_settings(settings or {})

    team = Team(
        name=name,
        description=description,
        owner_id=principal.user_id,
        invite_code=await _new_invite_code(session, name),
        settings={**DEFAULT_SETTINGS, **chosen},
    )
    session.add(team)
    await session.flush()
    session.add(Membership(team_id=team.id, user_id=principal.user_id, role="owner"))
    await session.commit()
    logger.info("team created", extra={"team_id": team.id})
    return team


async def list_teams(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    page: int | None = None,
    limit: int | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> tuple[list[TeamListItem], PageInfo]:
    """The caller's teams, each with the caller's role, size and owner."""
    principal = ctx.require_principal()
    request = PageRequest.of(
        page=page, limit=limit, sort=sort, order=order, sortable=("created_at", "name")
    )
    query = (
        select(Team)
        .join(Membership, col(Membership.team_id) == col(Team.id))
        .where(col(Membership.user_id) == principal.user_id)
    )
    teams, info = await paginate(
        session,
        query,
        page=request,
        columns={"created_at": Team.created_at, "name": Team.name, "id": Team.id},
    )
    ids = [team.id for team in teams]
    roles = await permissions.memberships_for_user(session, user_id=principal.user_id)
    counts = dict(
        (
            await session.execute(
                select(Membership.team_id, sa.func.count())
                .where(col(Membership.team_id).in_(ids))
                .group_by(col(Membership.team_id))
            )
        ).all()
    )
    owners = {
        user.id: user
        for user in (
            await session.execute(
                select(User).where(col(User.id).in_({t.owner_id for t in teams}))
            )
        ).scalars()
    }
    items = []
    for team in teams:
        owner = owners.get(team.owner_id)
        items.append(
            TeamListItem(
                team=team,
                role=roles.get(team.id, Role.VIEWER),
                members_count=int(counts.get(team.id, 0)),
                owner=PersonSummary(
                    id=team.owner_id,
                    name=owner.name if owner else "",
                    avatar=owner.avatar if owner else None,
                ),
            )
        )
    return items, info


async def team_usage(session: AsyncSession, *, team_id: str) -> TeamUsage:
    """This month's generations and tokens from the team's usage counters."""
    start, end = month_period()
    usage = await usage_between(session, scope_id=team_id, start=start, end=end)
    active = await session.scalar(
        select(sa.func.count(sa.distinct(col(Generation.user_id))))
        .join(
            Membership,
            sa.and_(
                col(Membership.user_id) == col(Generation.user_id),
                col(Membership.team_id) == col(Generation.team_id),
            ),
        )
        .where(
            col(Generation.team_id) == team_id,
            col(Generation.created_at) >= start,
            col(Generation.created_at) < end,
        )
    )
    return TeamUsage(
        total_generations=usage.generations,
        tokens_used=usage.tokens,
        active_members=int(active or 0),
        period_start=start,
        period_end=end,
    )


async def list_members(session: AsyncSession, *, team_id: str) -> list[MemberView]:
    rows = await session.execute(
        select(Membership, User)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(col(Membership.team_id) == team_id)
        .order_by(col(Membership.joined_at), col(Membership.id))
    )
    return [
        MemberView(
            id=user.id,
            name=user.name,
            email=user.email,
            avatar=user.avatar,
            role=membership.role,
            joined_at=membership.joined_at,
        )
        for membership, user in rows.all()
    ]


async def get_team(
    session: AsyncSession, *, ctx: RequestContext, team_id: str
) -> TeamDetail:
    """A team the caller belongs to: members, this month's usage, settings."""
    principal = ctx.require_principal()
    role = await permissions.require_team_action(
        session, team_id=team_id, user_id=principal.user_id, action=Action.VIEW_TEAM
    )
    team = await load_team(session, team_id)
    members = (
        await list_members(session, team_id=team_id)
        if permissions.can(role, Action.VIEW_MEMBERS)
        else []
    )
    return TeamDetail(
        team=team,
        role=role,
        members=members,
        usage=await team_usage(session, team_id=team_id),
        invite_code=team.invite_code
        if permissions.can(role, Action.VIEW_INVITE_CODE)
        else None,
    )


async def update_team(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    team_id: str,
    name: str | None = None,
    description: str | None = None,
    settings: Mapping[str, Any] | None = None,
    regenerate_invite_code: bool = False,
) -> Team:
    """Change a team's name, description or settings (merged key by key)."""
    principal = ctx.require_writer()
    await permissions.require_team_action(
        session, team_id=team_id, user_id=principal.user_id, action=Action.UPDATE_TEAM
    )
    team = await load_team(session, team_id)

    if name is not None:
        team.name = _clean_text(name, field="name", limit=NAME_MAX, required=True)
    if description is not None:
        team.description = _clean_text(
            description, field="description", limit=DESCRIPTION_MAX, required=False
        )
    if settings:
        team.settings = {
            **DEFAULT_SETTINGS,
            **(team.settings or {}),
            **validate_settings(settings),
        }
    if regenerate_invite_code:
        team.invite_code = await _new_invite_code(session, team.name)
    team.updated_at = utcnow()

    session.add(team)
    await session.commit()
    return team


async def delete_team(
    session: AsyncSession, *, ctx: RequestContext, team_id: str
) -> Outcome:
    """Delete a team with its memberships and invitations (owner only).

    Its templates stay with their authors (no longer shared); its
    generations stay with their authors.
    """
    principal = ctx.require_writer()
    await permissions.require_team_action(
        session, team_id=team_id, user_id=principal.user_id, action=Action.DELETE_TEAM
    )
    team = await load_team(session, team_id)

    await session.execute(
        sa.delete(Invitation).where(col(Invitation.team_id) == team_id)
    )
    await session.execute(
        sa.delete(Membership).where(col(Membership.team_id) == team_id)
    )
    await session.delete(team)
    await session.commit()
    logger.info("team deleted", extra={"team_id": team_id})
    return Outcome(True, "Team deleted successfully")


async def add_member(
    session: AsyncSession, *, team: Team, user_id: str, role: str
) -> tuple[Membership, Notification]:
    """Add a member within the owner's tier limit; raise team.member.added and
    notify the owner. The caller commits, then pushes the notification."""
    await session.execute(
        select(Team.id).where(col(Team.id) == team.id).with_for_update()
    )
    if await permissions.member_role(session, team_id=team.id, user_id=user_id):
        raise Conflict(
            "You are already a member of this team", details={"team_id": team.id}
        )
    limit = await member_limit(session, team)
    if await members_count(session, team.id) >= limit:
        raise QuotaExceeded(
            f"This team has reached its limit of {limit} members for the "
            "owner's plan: the owner can upgrade to add more",
            details={"team_id": team.id, "limit": limit, "resource": "team_members"},
        )

    membership = Membership(team_id=team.id, user_id=user_id, role=role)
    session.add(membership)
    member = await _person(session, user_id)
    await emit_event(
        session,
        user_id=team.owner_id,
        type="team.member.added",
        data={"team_id": team.id, "user_id": user_id, "role": role},
    )
    notice = add_notification(
        session,
        user_id=team.owner_id,
        type="team_member_joined",
        title=f"{member.name or 'A new member'} joined {team.name}",
        data={"team_id": team.id, "user_id": user_id, "role": role},
    )
    return membership, notice


async def _remove_membership(
    session: AsyncSession, *, team: Team, membership: Membership, reason: str
) -> Notification:
    await session.delete(membership)
    await emit_event(
        session,
        user_id=team.owner_id,
        type="team.member.removed",
        data={"team_id": team.id, "user_id": membership.user_id, "reason": reason},
    )
    return add_notification(
        session,
        user_id=membership.user_id,
        type="team_member_removed",
        title=f"You are no longer a member of {team.name}",
        data={"team_id": team.id, "reason": reason},
    )


async def _membership(
    session: AsyncSession, *, team_id: str, user_id: str
) -> Membership:
    found = await session.execute(
        select(Membership).where(
            col(Membership.team_id) == team_id, col(Membership.user_id) == user_id
        )
    )
    membership = found.scalar_one_or_none()
    if membership is None:
        raise NotFound(
            "Member not found", details={"team_id": team_id, "user_id": user_id}
        )
    return membership


async def remove_member(
    session: AsyncSession, *, ctx: RequestContext, team_id: str, user_id: str
) -> Outcome:
    """Remove a member (admins remove editors and viewers; the owner anyone
    but themself); removing yourself is leaving."""
    principal = ctx.require_writer()
    if user_id == principal.user_id:
        return await leave_team(session, ctx=ctx, team_id=team_id)
    role = await permissions.require_team_action(
        session,
        team_id=team_id,
        user_id=principal.user_id,
        action=Action.REMOVE_MEMBERS,
    )
    team = await load_team(session, team_id)
    membership = await _membership(session, team_id=team_id, user_id=user_id)
    if not permissions.can_manage_member(role, membership.role):
        raise Forbidden(
            _refusal(membership.role, "remove"),
            details={"team_id": team_id, "user_id": user_id, "role": membership.role},
        )

    notice = await _remove_membership(
        session, team=team, membership=membership, reason="removed"
    )
    await session.commit()
    await push_notification(ctx, notice)
    return Outcome(True, "Member removed successfully")


def _refusal(target_role: str, verb: str) -> str:
    if target_role == Role.OWNER:
        return f"The owner cannot be {verb}d: transfer ownership first"
    return (
        f"Your role does not allow you to {verb} a member whose role is {target_role}"
    )


async def leave_team(
    session: AsyncSession, *, ctx: RequestContext, team_id: str
) -> Outcome:
    """Leave a team; the owner must transfer ownership (or delete it) first."""
    principal = ctx.require_writer()
    await permissions.require_team_action(
        session, team_id=team_id, user_id=principal.user_id, action=Action.VIEW_TEAM
    )
    team = await load_team(session, team_id)
    membership = await _membership(session, team_id=team_id, user_id=principal.user_id)
    if membership.role == Role.OWNER:
        raise Forbidden(
            "The owner cannot leave the team: transfer ownership or delete the team",
            details={"team_id": team_id},
        )

    notice = await _remove_membership(
        session, team=team, membership=membership, reason="left"
    )
    await session.commit()
    await push_notification(ctx, notice)
    return Outcome(True, "You left the team")


async def change_member_role(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    team_id: str,
    user_id: str,
    role: str,
) -> MemberView:
    """Give a member another role (never owner: that is a transfer)."""
    principal = ctx.require_writer()
    actor_role = await permissions.require_team_action(
        session, team_id=team_id, user_id=principal.user_id, action=Action.CHANGE_ROLES
    )
    if role not in permissions.ASSIGNABLE_ROLES:
        raise ValidationFailed(
            field="role",
            reason="must be admin, editor or viewer (ownership moves by transfer)",
        )
    membership = await _membership(session, team_id=team_id, user_id=user_id)
    if user_id == principal.user_id or not permissions.can_manage_member(
        actor_role, membership.role
    ):
        raise Forbidden(
            _refusal(membership.role, "demote")
            if membership.role == Role.OWNER
            else "Your role does not allow changing this member's role",
            details={"team_id": team_id, "user_id": user_id, "role": membership.role},
        )
    if not permissions.can_assign_role(actor_role, role):
        raise Forbidden(
            f"Your role '{actor_role}' cannot grant the role '{role}'",
            details={"team_id": team_id, "role": role},
        )

    membership.role = role
    session.add(membership)
    await session.commit()
    return next(
        m
        for m in await list_members(session, team_id=team_id)
        if m.id == membership.user_id
    )


async def transfer_ownership(
    session: AsyncSession, *, ctx: RequestContext, team_id: str, user_id: str
) -> Team:
    """Make another member the owner; the previous owner becomes an admin."""
    principal = ctx.require_writer()
    await permissions.require_team_action(
        session,
        team_id=team_id,
        user_id=principal.user_id,
        action=Action.TRANSFER_OWNERSHIP,
    )
    if user_id == principal.user_id:
        raise ValidationFailed(field="user_id", reason="you already own this team")
    team = await load_team(session, team_id)
    target = await _membership(session, team_id=team_id, user_id=user_id)
    current = await _membership(session, team_id=team_id, user_id=principal.user_id)

    target.role = Role.OWNER
    current.role = Role.ADMIN
    team.owner_id = user_id
    team.updated_at = utcnow()
    session.add_all([target, current, team])
    notice = add_notification(
        session,
        user_id=user_id,
        type="team_ownership_transferred",
        title=f"You now own {team.name}",
        data={"team_id": team_id, "previous_owner_id": principal.user_id},
    )
    await session.commit()
    await push_notification(ctx, notice)
    return team
