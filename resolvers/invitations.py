"""Invitations to a team: sent by mail with a single-use link that expires
after seven days, accepted or declined by the invitee; or joining with the
team's invite code.

The link's token is shown once (in the mail and the inviter's answer) and
stored only as a keyed hash.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.team import Invitation, Team
from models.user import User
from resolvers import permissions
from resolvers.auth_tokens import hash_secret
from resolvers.context import RequestContext
from resolvers.errors import (
    Conflict,
    Forbidden,
    NotFound,
    QuotaExceeded,
    ValidationFailed,
)
from resolvers.notifications import add_notification, push_notification
from resolvers.permissions import Action
from resolvers.ports import MailMessage
from resolvers.teams import (
    Outcome,
    add_member,
    load_team,
    member_limit,
    members_count,
)

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=7)
MESSAGE_MAX = 2000


@dataclass(frozen=True)
class InvitationView:
    """An invitation as its sender sees it, with the link (shown once)."""

    invitation: Invitation
    invite_link: str


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def normalize_email(value: str) -> str:
    """The address in canonical form, or a VALIDATION_ERROR on ``email``."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(field="email", reason=str(exc)) from exc
    return checked.normalized.lower()


def invite_link(ctx: RequestContext, token: str) -> str:
    return f"{ctx.config.public_url.rstrip('/')}/invite/{token}"


async def _pending_count(session: AsyncSession, *, team_id: str, email: str) -> int:
    total = await session.scalar(
        select(sa.func.count())
        .select_from(Invitation)
        .where(
            col(Invitation.team_id) == team_id,
            col(Invitation.email) != email,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.declined_at).is_(None),
            col(Invitation.expires_at) > utcnow(),
        )
    )
    return int(total or 0)


async def invite_member(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    team_id: str,
    email: str,
    role: str = "editor",
    message: str = "",
) -> InvitationView:
    """Invite ``email`` to the team with ``role``; mail the link, and notify
    the invitee in the app if they already have an account.

    Members plus pending invitations may not pass the owner's tier limit.
    A new invitation to the same address replaces a pending one.
    """
    principal = ctx.require_writer()
    actor_role = await permissions.require_team_action(
        session,
        team_id=team_id,
        user_id=principal.user_id,
        action=Action.INVITE_MEMBERS,
    )
    email = normalize_email(email)
    if role not in permissions.ASSIGNABLE_ROLES:
        raise ValidationFailed(field="role", reason="must be admin, editor or viewer")
    if not permissions.can_assign_role(actor_role, role):
        raise Forbidden(
            f"Your role '{actor_role}' cannot invite someone as '{role}'",
            details={"team_id": team_id, "role": role},
        )
    message = message.strip()
    if len(message) > MESSAGE_MAX:
        raise ValidationFailed(field="message", reason=f"at most {MESSAGE_MAX} chars")
    team = await load_team(session, team_id)
    invitee = (
        await session.execute(select(User).where(sa.func.lower(User.email) == email))
    ).scalar_one_or_none()
    if invitee is not None and await permissions.member_role(
        session, team_id=team_id, user_id=invitee.id
    ):
        raise Conflict(
            "This person is already a member of the team",
            details={"team_id": team_id, "email": email},
        )
    limit = await member_limit(session, team)
    taken = await members_count(session, team_id) + await _pending_count(
        session, team_id=team_id, email=email
    )
    if taken >= limit:
        raise QuotaExceeded(
            f"This team has {taken} of its {limit} places taken (members and "
            "pending invitations) under the owner's plan: the owner can upgrade",
            details={"team_id": team_id, "limit": limit, "resource": "team_members"},
        )

    await session.execute(
        sa.delete(Invitation).where(
            col(Invitation.team_id) == team_id,
            col(Invitation.email) == email,
            col(Invitation.accepted_at).is_(None),
        )
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        team_id=team_id,
        email=email,
        role=role,
        message=message,
        token_hash=hash_secret(ctx.config, token),
        invited_by=principal.user_id,
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    session.add(invitation)
    link = invite_link(ctx, token)
    notice = None
    if invitee is not None:
        notice = add_notification(
            session,
            user_id=invitee.id,
            type="team_invite",
            title="Team invitation",
            message=f"You are invited to join {team.name} as {role}",
            action_url=link,
            data={
                "team_id": team_id,
                "invitation_id": invitation.id,
                "role": role,
                "note": message,
            },
        )
    await session.commit()

    if notice is not None:
        await push_notification(ctx, notice)
    await _send_invitation_mail(ctx, invitation=invitation, team=team, link=link)
    return InvitationView(invitation=invitation, invite_link=link)


async def _send_invitation_mail(
    ctx: RequestContext, *, invitation: Invitation, team: Team, link: str
) -> None:
    lines = [
        f"You have been invited to join the team '{team.name}' on Harvest "
        f"as {invitation.role}.",
        "",
    ]
    if invitation.message:
        lines += [invitation.message, ""]
    lines += [
        f"Accept the invitation: {link}",
        "",
        "The link works once and expires on "
        f"{_aware(invitation.expires_at).strftime('%Y-%m-%d %H:%M UTC')}.",
    ]
    await ctx.services.mailer.send(
        MailMessage(
            to=invitation.email,
            subject=f"Join {team.name} on Harvest",
            text="\n".join(lines),
        )
    )
    logger.info(
        "invitation mailed",
        extra={"invitation_id": invitation.id, "team_id": team.id},
    )


async def _invitation_for_caller(
    session: AsyncSession, *, ctx: RequestContext, token: str
) -> tuple[Invitation, User]:
    """The invitation behind ``token``, checked against the caller's address."""
    principal = ctx.require_writer()
    found = await session.execute(
        select(Invitation).where(
            col(Invitation.token_hash) == hash_secret(ctx.config, token.strip())
        )
    )
    invitation = found.scalar_one_or_none()
    user = await session.get(User, principal.user_id)
    if invitation is None or user is None:
        raise NotFound("Invitation not found: check the link")
    if user.email.strip().lower() != invitation.email:
        raise Forbidden(
            "This invitation was sent to another email address: sign in with "
            "the address it was sent to",
            details={"reason": "email_mismatch"},
        )
    if invitation.accepted_at is not None or invitation.declined_at is not None:
        raise Conflict(
            "This invitation has already been used",
            details={"reason": "already_used"},
        )
    if _aware(invitation.expires_at) <= utcnow():
        raise ValidationFailed(
            "This invitation has expired: ask for a new one",
            field="token",
            reason="expired",
        )
    return invitation, user


async def _claim(session: AsyncSession, invitation: Invitation, column: str) -> None:
    """Mark the invitation used, once: a concurrent claim finds it taken."""
    now = utcnow()
    claimed = await session.execute(
        sa.update(Invitation)
        .where(
            col(Invitation.id) == invitation.id,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.declined_at).is_(None),
        )
        .values({column: now})
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "This invitation has already been used",
            details={"reason": "already_used"},
        )


async def accept_invitation(
    session: AsyncSession, *, ctx: RequestContext, token: str
) -> Team:
    """Join the team of the invitation sent to the caller's address."""
    invitation, user = await _invitation_for_caller(session, ctx=ctx, token=token)
    team = await load_team(session, invitation.team_id)

    await _claim(session, invitation, "accepted_at")
    _, notice = await add_member(
        session, team=team, user_id=user.id, role=invitation.role
    )
    await session.commit()

    await push_notification(ctx, notice)
    return team


async def decline_invitation(
    session: AsyncSession, *, ctx: RequestContext, token: str
) -> Outcome:
    """Turn an invitation down; its link stops working."""
    invitation, _ = await _invitation_for_caller(session, ctx=ctx, token=token)

    await _claim(session, invitation, "declined_at")
    await session.commit()
    return Outcome(True, "Invitation declined")


async def join_team_by_code(
    session: AsyncSession, *, ctx: RequestContext, invite_code: str
) -> Team:
    """Join a team with its invite code, as a viewer."""
    principal = ctx.require_writer()
    code = invite_code.strip().upper()
    if not code:
        raise ValidationFailed(field="invite_code", reason="must not be empty")
    found = await session.execute(select(Team).where(col(Team.invite_code) == code))
    team = found.scalar_one_or_none()
    if team is None:
        raise NotFound("No team has this invite code", details={"field": "invite_code"})

    _, notice = await add_member(
        session,
        team=team,
        user_id=principal.user_id,
        role=permissions.JOIN_BY_CODE_ROLE,
    )
    await session.commit()

    await push_notification(ctx, notice)
    return team


async def pending_invitations(
    session: AsyncSession, *, team_id: str
) -> list[Invitation]:
    """Invitations of the team not yet used and not expired."""
    rows = await session.execute(
        select(Invitation)
        .where(
            col(Invitation.team_id) == team_id,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.declined_at).is_(None),
            col(Invitation.expires_at) > utcnow(),
        )
        .order_by(col(Invitation.created_at))
    )
    return list(rows.scalars())
