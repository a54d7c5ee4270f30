"""The team setting ``approval_required``: what it gates, and approving.

When a team requires approval, a generation created in the team by a member
who cannot approve (an editor) starts with ``approval_status`` ``pending``.
A pending generation is visible only to its author and to the members who
may approve (admins and the owner), until one of them approves it (then every
member sees it) or rejects it (then it stays with its author and the
approvers). Members who
can approve, and teams that do not require approval, create generations with
no approval status.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.base import utcnow
from models.generation import Generation
from models.team import Team
from resolvers import permissions
from resolvers.context import RequestContext
from resolvers.errors import Conflict, Forbidden, NotFound
from resolvers.notifications import add_notification, push_notification
from resolvers.permissions import Action
from resolvers.teams import team_settings

logger = logging.getLogger(__name__)

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


async def initial_approval_status(
    session: AsyncSession, *, team_id: str | None, user_id: str
) -> str | None:
    """The approval status a new generation by ``user_id`` in ``team_id``
    starts with: ``pending`` when the team requires approval and the author
    cannot approve, else None."""
    if team_id is None:
        return None
    team = await session.get(Team, team_id)
    if team is None:
        return None
    role = await permissions.member_role(session, team_id=team_id, user_id=user_id)
    if permissions.needs_approval(
        role, approval_required=team_settings(team).approval_required
    ):
        return PENDING
    return None


async def can_see_generation(
    session: AsyncSession, *, user_id: str, generation: Generation
) -> bool:
    """Whether ``user_id`` may see ``generation``: their own, or a team's
    generation their role shows them."""
    if generation.user_id == user_id:
        return True
    if generation.team_id is None:
        return False
    role = await permissions.member_role(
        session, team_id=generation.team_id, user_id=user_id
    )
    return permissions.can_see_team_generation(
        role, is_author=False, approval_status=generation.approval_status
    )


async def visible_generations_clause(
    session: AsyncSession, *, user_id: str
) -> sa.ColumnElement[bool]:
    """A WHERE clause for the generations ``user_id`` may see in a list."""
    roles = await permissions.memberships_for_user(session, user_id=user_id)
    viewing = [
        t for t, r in roles.items() if permissions.can(r, Action.VIEW_GENERATIONS)
    ]
    approving = [
        t for t, r in roles.items() if permissions.can(r, Action.APPROVE_GENERATIONS)
    ]
    return sa.or_(
        col(Generation.user_id) == user_id,
        sa.and_(
            col(Generation.team_id).in_(viewing),
            sa.or_(
                col(Generation.approval_status).is_(None),
                col(Generation.approval_status).not_in(permissions.UNAPPROVED),
                col(Generation.team_id).in_(approving),
            ),
        ),
    )


async def decide_generation(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    generation_id: str,
    approve: bool,
) -> Generation:
    """Approve or reject a pending generation of a team (admins and owner)."""
    principal = ctx.require_writer()
    generation = await session.get(Generation, generation_id)
    if generation is None or not await can_see_generation(
        session, user_id=principal.user_id, generation=generation
    ):
        raise NotFound("Generation not found", details={"generation_id": generation_id})
    if generation.team_id is None:
        raise Conflict(
            "Only a team's generations go through approval",
            details={"generation_id": generation_id},
        )
    role = await permissions.member_role(
        session, team_id=generation.team_id, user_id=principal.user_id
    )
    if not permissions.can(role, Action.APPROVE_GENERATIONS):
        raise Forbidden(
            "Only the team's admins and owner can approve generations",
            details={"generation_id": generation_id, "role": role},
        )
    if generation.approval_status != PENDING:
        raise Conflict(
            "This generation is not waiting for approval",
            details={
                "generation_id": generation_id,
                "approval_status": generation.approval_status,
            },
        )

    decision = APPROVED if approve else REJECTED
    generation.approval_status = decision
    generation.updated_at = utcnow()
    session.add(generation)
    notice = add_notification(
        session,
        user_id=generation.user_id,
        type="generation_approval",
        title="Generation approved" if approve else "Generation rejected",
        message=f"Your generation {generation.id} was {decision}",
        data=_data(generation, decision),
    )
    await session.commit()

    await push_notification(ctx, notice)
    logger.info(
        "generation approval decided",
        extra={"generation_id": generation.id, "decision": decision},
    )
    return generation


def _data(generation: Generation, decision: str) -> dict[str, Any]:
    return {
        "generation_id": generation.id,
        "team_id": generation.team_id,
        "approval_status": decision,
    }
