"""Who may listen to what: the rules behind every streaming surface.

The spec's WebSocket protocol and the GraphQL subscriptions both ask here
before they listen, so a channel is refused the same way on each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from models.generation import Generation
from resolvers.context import RequestContext
from resolvers.errors import Forbidden, ValidationFailed
from resolvers.generation import load_generation
from resolvers.permissions import Action, require_team_action
from resolvers.ratelimit import limit_for
from subscriptions import channels, events
from subscriptions.hub import Hub


async def generation_feed_channels(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    user_id: str | None = None,
    team_id: str | None = None,
) -> list[str]:
    """The channels of the caller's generation events, or of one of their teams.

    Another user's events are FORBIDDEN; a team the caller does not belong to
    is NOT_FOUND, as everywhere else.
    """
    principal = ctx.require_principal()
    if user_id is not None and user_id != principal.user_id:
        raise Forbidden(
            "You can only subscribe to your own generation events",
            details={"user_id": user_id},
        )
    if team_id is None:
        return [channels.user_generations(principal.user_id)]
    await require_team_action(
        session,
        team_id=team_id,
        user_id=principal.user_id,
        action=Action.VIEW_GENERATIONS,
    )
    return [channels.team_generations(team_id)]


def end_event(generation: Generation) -> dict[str, Any] | None:
    """The event that ended ``generation``, rebuilt from its row; None if running."""
    if generation.status == "completed":
        return events.complete(
            generation.id,
            content=generation.content,
            tokens_used=generation.tokens_used,
            processing_time_ms=generation.processing_time_ms,
            word_count=generation.word_count,
            version=1,
        )
    if generation.status == "failed":
        return events.error(
            generation.id,
            code=generation.error_code or "SERVER_ERROR",
            message=generation.error_message or "The generation failed",
        )
    if generation.status == "cancelled":
        return events.cancelled(generation.id)
    return None


def websocket_connection_limit(ctx: RequestContext) -> int:
    """How many spec WebSocket connections the caller's tier may hold at once
    (``AppConfig.rate_limits`` may override it, like every other limit)."""
    tier = ctx.require_principal().tier
    return limit_for(ctx.config, tier, "websocket_connections")


def hub_of(ctx: RequestContext) -> Hub:
    """The process's hub, which publishes and also follows streams."""
    return cast(Hub, ctx.services.publisher)


async def follow_generation(
    ctx: RequestContext, *, generation_id: str, after: int = -1
) -> AsyncIterator[dict[str, Any]]:
    """A generation's events for a caller allowed to see it, resumed after the
    chunk ``after``: missed chunks from the log, then live ones, then its end.

    The permission is checked before this returns, not on first iteration.
    """
    if after < -1:
        raise ValidationFailed(field="after", reason="must be an integer >= -1")
    async with ctx.db.session() as session:
        await load_generation(session, ctx=ctx, generation_id=generation_id)

    async def load_end() -> dict[str, Any] | None:
        async with ctx.db.session() as session:
            generation = await session.get(Generation, generation_id)
        return end_event(generation) if generation is not None else None

    return hub_of(ctx).follow_generation(generation_id, after=after, load_end=load_end)


async def listen_generation_feed(
    ctx: RequestContext, *, user_id: str | None = None, team_id: str | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Lifecycle events of the caller's generations, or of one of their teams."""
    async with ctx.db.session() as session:
        names = await generation_feed_channels(
            session, ctx=ctx, user_id=user_id, team_id=team_id
        )
    return hub_of(ctx).listen(names[0])


def listen_notifications(ctx: RequestContext) -> AsyncIterator[dict[str, Any]]:
    """The caller's notifications as they are pushed."""
    principal = ctx.require_principal()
    return hub_of(ctx).listen(channels.notifications(principal.user_id))
