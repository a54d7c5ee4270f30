"""Generations: start, wait for, read, list, edit, regenerate, cancel, delete.

Who sees a generation: its author, and members of its team whose role allows
viewing team generations. Anyone else gets NOT_FOUND, on every operation.

Which operations add a version: the runner stores version 1 when a
generation first completes; ``regenerate_generation`` runs the model again
and stores the next version; ``edit_generation`` stores the caller's text as
the next version. The generation's ``content`` is always its latest version.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.generation import Generation, GenerationVersion
from models.team import Team
from models.user import User
from resolvers.approvals import initial_approval_status
from resolvers.context import RequestContext
from resolvers.errors import (
    Conflict,
    ContentFiltered,
    Forbidden,
    HarvestError,
    NotFound,
    QuotaExceeded,
    ServerError,
    ServiceUnavailable,
    Timeout,
    UnsupportedModel,
    ValidationFailed,
)
from resolvers.generation_request import (
    CheckedRequest,
    GenerationRequest,
    check_options,
    validate_request,
)
from resolvers.generation_runner import (
    TERMINAL_STATUSES,
    RunHandle,
    await_generation,
    launch_generation,
    title_of,
)
from resolvers.model_registry import ModelEntry, ModelRegistry
from resolvers.permissions import (
    Action,
    can,
    can_see_team_generation,
    member_role,
    require_team_action,
)
from resolvers.prompts import word_count
from resolvers.ratelimit import check_generation_start, release_generation
from resolvers.tiers import get_tier
from resolvers.usage import Usage, generations_today, month_period, usage_between
from subscriptions import channels, events

__all__ = [
    "GenerationRequest",
    "cancel_generation",
    "generate",
    "get_generation",
    "start_generation",
]

MAX_CONTENT_CHARS = 100_000

ERRORS_BY_CODE: dict[str, type[HarvestError]] = {
    cls.code.value: cls
    for cls in (Timeout, ServiceUnavailable, ContentFiltered, UnsupportedModel)
}


@dataclass(frozen=True)
class UsageBlock:
    """The spec's ``usage`` block of a generate response."""

    tokens_used: int
    tokens_remaining: int
    generations_today: int
    generations_limit: int


@dataclass(frozen=True)
class GenerateResult:
    generation: Generation
    usage: UsageBlock


def _registry(ctx: RequestContext) -> ModelRegistry:
    if ctx.services.models is None:
        raise ServiceUnavailable("No model providers are configured")
    return ctx.services.models


async def _team_default_model(session: AsyncSession, team_id: str) -> str | None:
    team = await session.get(Team, team_id)
    value = (team.settings or {}).get("default_model") if team else None
    return value if isinstance(value, str) and value else None


async def _tier_of(session: AsyncSession, user_id: str) -> str:
    tier = await session.scalar(
        select(User.subscription_tier).where(col(User.id) == user_id)
    )
    return tier or "free"


async def ensure_quota(
    session: AsyncSession, *, user_id: str, tier_name: str | None = None
) -> None:
    """QUOTA_EXCEEDED when the month's generations or tokens are spent.

    ``tier_name`` is the user's plan when the caller knows it (the caller's
    own, authenticated this request); otherwise it is read."""
    tier = get_tier(tier_name or await _tier_of(session, user_id))
    start, end = month_period()
    used = await usage_between(session, scope_id=user_id, start=start, end=end)
    for name, count, limit in (
        ("generations", used.generations, tier.generations_per_month),
        ("tokens", used.tokens, tier.tokens_per_month),
    ):
        if count >= limit:
            raise QuotaExceeded(
                f"Monthly {name} limit of the {tier.name} plan reached "
                f"({count} of {limit}): upgrade or wait for the next period",
                details={
                    "quota": name,
                    "used": count,
                    "limit": limit,
                    "tier": tier.name,
                    "resets_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            )


async def usage_block(
    session: AsyncSession, *, user_id: str, tokens_used: int
) -> UsageBlock:
    """This month's standing after a generation, as the spec shows it."""
    tier = get_tier(await _tier_of(session, user_id))
    start, end = month_period()
    used = await usage_between(session, scope_id=user_id, start=start, end=end)
    return UsageBlock(
        tokens_used=tokens_used,
        tokens_remaining=max(0, tier.tokens_per_month - used.tokens),
        generations_today=await generations_today(session, scope_id=user_id),
        generations_limit=tier.generations_per_month,
    )


def standing_block(standing: Usage, *, tier_name: str, tokens_used: int) -> UsageBlock:
    """The usage block from this month's usage as the runner just counted it."""
    tier = get_tier(tier_name)
    today = utcnow().date()
    return UsageBlock(
        tokens_used=tokens_used,
        tokens_remaining=max(0, tier.tokens_per_month - standing.tokens),
        generations_today=sum(g for day, _, g in standing.daily if day == today),
        generations_limit=tier.generations_per_month,
    )


async def _resolve_model(
    session: AsyncSession, ctx: RequestContext, checked: CheckedRequest
) -> ModelEntry:
    name = checked.options.model
    if name is None and checked.team_id:
        name = await _team_default_model(session, checked.team_id)
    return _registry(ctx).resolve(name)


async def start_generation(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    request: GenerationRequest,
    template_id: str | None = None,
    batch_id: str | None = None,
    launch: bool = True,
) -> Generation:
    """Check the request, store the generation (queued) and launch its runner.

    Returns at once; ``await_generation`` waits for the end. With
    ``launch=False`` the caller launches it (``launch_generation``) itself.
    """
    row = await _store_generation(
        session,
        ctx=ctx,
        request=request,
        template_id=template_id,
        batch_id=batch_id,
        status="queued",
    )
    if launch:
        launch_generation(ctx, row.id)
    return row


async def begin_generation(
    session: AsyncSession, *, ctx: RequestContext, request: GenerationRequest
) -> tuple[Generation, RunHandle]:
    """Check the request, store the generation already running and start its
    runner in this process at once (the synchronous and streamed routes,
    whose client never sees it queued); the row and the runner's handle."""
    row = await _store_generation(session, ctx=ctx, request=request, status="running")
    return row, launch_generation(ctx, row.id, claimed=row)


async def _store_generation(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    request: GenerationRequest,
    status: str,
    template_id: str | None = None,
    batch_id: str | None = None,
) -> Generation:
    principal = ctx.require_writer()
    checked = validate_request(request)
    if checked.team_id:
        await require_team_action(
            session,
            team_id=checked.team_id,
            user_id=principal.user_id,
            action=Action.CREATE_GENERATIONS,
        )
    entry = await _resolve_model(session, ctx, checked)
    await ensure_quota(session, user_id=principal.user_id, tier_name=principal.tier)
    options = replace(checked.options, model=entry.name).as_dict()
    row = Generation(
        user_id=principal.user_id,
        team_id=checked.team_id,
        template_id=template_id,
        batch_id=batch_id,
        format=checked.format,
        status=status,
        model=entry.name,
        input=checked.input,
        options=options,
        meta=checked.metadata,
        approval_status=await initial_approval_status(
            session, team_id=checked.team_id, user_id=principal.user_id
        ),
    )
    await check_generation_start(ctx, generation_id=row.id)
    session.add(row)
    await session.commit()
    return row


def raise_if_failed(row: Generation) -> None:
    """Raise the error a failed generation ended with."""
    if row.status == "failed":
        error = ERRORS_BY_CODE.get(row.error_code or "", ServerError)
        raise error(
            row.error_message or None,
            details={"generation_id": row.id, "status": "failed"},
        )
    if row.status == "cancelled":
        raise Conflict(
            "The generation was cancelled before it finished",
            details={"generation_id": row.id, "status": "cancelled"},
        )


async def generate(
    session: AsyncSession, *, ctx: RequestContext, request: GenerationRequest
) -> GenerateResult:
    """Generate and wait for the result (the synchronous POST /v1/generate).

    The usage block comes from the month's usage the runner read when it
    counted this generation, not from reading it again."""
    principal = ctx.require_writer()
    row, handle = await begin_generation(session, ctx=ctx, request=request)
    row = await await_generation(ctx, row.id)
    raise_if_failed(row)
    if handle.standing is not None:
        usage = standing_block(
            handle.standing, tier_name=principal.tier, tokens_used=row.tokens_used
        )
    else:
        usage = await usage_block(
            session, user_id=row.user_id, tokens_used=row.tokens_used
        )
    return GenerateResult(generation=row, usage=usage)


async def _visible(
    session: AsyncSession, row: Generation | None, user_id: str, action: Action
) -> Generation | None:
    """The row if the caller may see it (None: NOT_FOUND, its existence is
    not disclosed); FORBIDDEN when they see it but their role does not allow
    ``action``, as for every other team object."""
    if row is None:
        return None
    if row.user_id == user_id:
        return row
    if row.team_id is None:
        return None
    role = await member_role(session, team_id=row.team_id, user_id=user_id)
    if not can_see_team_generation(
        role, is_author=False, approval_status=row.approval_status
    ):
        return None
    if not can(role, action):
        raise Forbidden(
            f"Your role '{role}' in this team does not allow {action.value}",
            details={"team_id": row.team_id, "role": role, "action": action.value},
        )
    return row


async def load_generation(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    generation_id: str,
    action: Action = Action.VIEW_GENERATIONS,
) -> Generation:
    """The generation if the caller may do ``action`` with it, else NOT_FOUND."""
    principal = ctx.require_principal()
    row = await session.get(Generation, generation_id)
    row = await _visible(session, row, principal.user_id, action)
    if row is None:
        raise NotFound("Generation not found", details={"generation_id": generation_id})
    return row


async def get_generation(
    session: AsyncSession, *, ctx: RequestContext, generation_id: str
) -> Generation:
    """One generation the caller may see."""
    return await load_generation(session, ctx=ctx, generation_id=generation_id)


async def list_versions(
    session: AsyncSession, *, generation_id: str
) -> list[GenerationVersion]:
    """Every stored version of a generation, oldest first."""
    rows = await session.execute(
        select(GenerationVersion)
        .where(col(GenerationVersion.generation_id) == generation_id)
        .order_by(col(GenerationVersion.version))
    )
    return list(rows.scalars())


async def versions_by_generation_ids(
    session: AsyncSession, generation_ids: list[str]
) -> dict[str, list[GenerationVersion]]:
    """Versions of many generations at once (for loaders), oldest first."""
    grouped: dict[str, list[GenerationVersion]] = {g: [] for g in generation_ids}
    if not generation_ids:
        return grouped
    rows = await session.execute(
        select(GenerationVersion)
        .where(col(GenerationVersion.generation_id).in_(generation_ids))
        .order_by(col(GenerationVersion.version))
    )
    for version in rows.scalars():
        grouped[version.generation_id].append(version)
    return grouped


async def delete_generation(
    session: AsyncSession, *, ctx: RequestContext, generation_id: str
) -> bool:
    """Delete a generation and its versions (a running one is cancelled)."""
    principal = ctx.require_writer()
    row = await load_generation(
        session,
        ctx=ctx,
        generation_id=generation_id,
        action=Action.DELETE_GENERATIONS,
    )
    was_running = row.status in ("queued", "running")
    await session.execute(
        sa.delete(GenerationVersion).where(
            col(GenerationVersion.generation_id) == row.id
        )
    )
    await session.delete(row)
    await session.commit()
    if was_running:
        await ctx.services.publisher.publish(
            channels.generation_control(row.id),
            events.cancel_request(row.id, by=principal.user_id),
        )
    return True


async def cancel_generation(
    session: AsyncSession, *, ctx: RequestContext, generation_id: str
) -> Generation:
    """Stop a queued or running generation, wherever its runner is."""
    principal = ctx.require_writer()
    row = await load_generation(
        session, ctx=ctx, generation_id=generation_id, action=Action.EDIT_GENERATIONS
    )
    if row.status in TERMINAL_STATUSES:
        raise Conflict(
            f"The generation is already {row.status}",
            details={"generation_id": row.id, "status": row.status},
        )
    changed = await session.execute(
        sa.update(Generation)
        .where(
            col(Generation.id) == row.id,
            col(Generation.status).in_(("queued", "running")),
        )
        .values(status="cancelled", updated_at=utcnow())
    )
    await session.commit()
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        await session.refresh(row)
        raise Conflict(
            f"The generation is already {row.status}",
            details={"generation_id": row.id, "status": row.status},
        )
    await ctx.services.publisher.publish(
        channels.generation_control(row.id),
        events.cancel_request(row.id, by=principal.user_id),
    )
    await release_generation(
        ctx.services.rate_limits, user_id=row.user_id, generation_id=row.id
    )
    await session.refresh(row)
    return row


async def _next_version(session: AsyncSession, generation_id: str) -> int:
    latest = await session.scalar(
        select(sa.func.coalesce(sa.func.max(GenerationVersion.version), 0)).where(
            col(GenerationVersion.generation_id) == generation_id
        )
    )
    return int(latest or 0) + 1


async def edit_generation(
    session: AsyncSession, *, ctx: RequestContext, generation_id: str, content: str
) -> Generation:
    """Store the caller's text as the next version and make it current."""
    principal = ctx.require_writer()
    row = await load_generation(
        session, ctx=ctx, generation_id=generation_id, action=Action.EDIT_GENERATIONS
    )
    if row.status != "completed":
        raise Conflict(
            "Only a completed generation can be edited",
            details={"generation_id": row.id, "status": row.status},
        )
    if not isinstance(content, str) or not content.strip():
        raise ValidationFailed(field="content", reason="must be a non-empty string")
    if len(content) > MAX_CONTENT_CHARS:
        raise ValidationFailed(
            field="content", reason=f"at most {MAX_CONTENT_CHARS} characters"
        )
    session.add(
        GenerationVersion(
            generation_id=row.id,
            version=await _next_version(session, row.id),
            content=content,
            source="edited",
            created_by=principal.user_id,
        )
    )
    row.content = content
    row.title = title_of(content)
    row.word_count = word_count(content)
    row.updated_at = utcnow()
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


async def regenerate_generation(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    generation_id: str,
    options: dict[str, Any] | None = None,
) -> Generation:
    """Run the model again (optionally with changed options); the result is
    stored as the next version. Returns at once, queued."""
    principal = ctx.require_writer()
    row = await load_generation(
        session, ctx=ctx, generation_id=generation_id, action=Action.EDIT_GENERATIONS
    )
    if row.status not in TERMINAL_STATUSES:
        raise Conflict(
            "The generation is still running",
            details={"generation_id": row.id, "status": row.status},
        )
    if options is not None and not isinstance(options, dict):
        raise ValidationFailed(field="options", reason="must be an object")
    checked = check_options({**row.options, **(options or {})})
    entry = _registry(ctx).resolve(checked.model)
    await ensure_quota(session, user_id=principal.user_id, tier_name=principal.tier)
    await check_generation_start(ctx, generation_id=row.id)
    row.options = replace(checked, model=entry.name).as_dict()
    row.model = entry.name
    row.status = "queued"
    row.error_code = None
    row.error_message = None
    row.updated_at = utcnow()
    session.add(row)
    await session.commit()
    launch_generation(ctx, row.id)
    return row
