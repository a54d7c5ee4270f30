"""The generation runner: works a stored generation to its end.

A runner is an asyncio task of its own, independent of the request that
started it, so a client that goes away loses nothing. It marks the row
running (unless its caller stored it running already), streams from the
model provider, publishes every event on the
generation's channel (and keeps them for local followers such as the SSE
route), then stores the text as the next version and sets the final status.
It listens on the generation's control channel, and re-reads the row's
status every few seconds, so a cancellation from any process stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.db import is_outage
from models.generation import Generation, GenerationVersion
from models.user import User
from resolvers.context import RequestContext
from resolvers.errors import (
    HarvestError,
    NotFound,
    ServerError,
    ServiceUnavailable,
)
from resolvers.events import emit_event
from resolvers.generation_request import check_options
from resolvers.model_registry import ModelEntry
from resolvers.notifications import push_notification
from resolvers.ports import ModelDelta, ModelRequest, ModelUsage
from resolvers.prompts import build_messages, target_words, word_count
from resolvers.ratelimit import release_generation
from resolvers.tiers import Tier, get_tier
from resolvers.usage import Usage, month_period, record_generation_usage, usage_between
from resolvers.usage_alerts import crossings, raise_usage_alerts
from subscriptions import channels, events

logger = logging.getLogger(__name__)

STATUS_POLL_SECONDS = 2.0
# How long a runner keeps trying to store its outcome while the database is
# unreachable (a pool exhausted by a burst, a failover) before it gives up.
FINISH_RETRY_SECONDS = 60.0
TERMINAL_STATUSES = ("completed", "failed", "cancelled")
TITLE_CHARS = 120


class CancelRequested(Exception):
    """The generation was cancelled while it ran."""


@dataclass
class RunHandle:
    """A runner in this process, and every event it has published so far."""

    generation_id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    cancel_requested: bool = False
    #: once completed: the row as stored, and the owner's month of usage
    #: read in the transaction that counted it (the generate answer's usage)
    result: Generation | None = None
    standing: Usage | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._changed.set()

    async def follow(self, *, after: int = -1) -> AsyncIterator[dict[str, Any]]:
        """Every event from the start (or after the chunk ``after``), then each
        new one, until the event that ends the generation."""
        position = 0
        while True:
            while position < len(self.events):
                event = self.events[position]
                position += 1
                if event.get("type") == events.CHUNK and event["chunk_index"] <= after:
                    continue
                yield event
                if events.is_terminal(event):
                    return
            if self.task is not None and self.task.done():
                return
            self._changed.clear()
            await self._changed.wait()


_running: dict[str, RunHandle] = {}


def running_handle(generation_id: str) -> RunHandle | None:
    """The runner of ``generation_id`` if it runs in this process."""
    return _running.get(generation_id)


def running_generation_ids() -> list[str]:
    """Generations whose runner is in this process."""
    return list(_running)


async def drain_generations(timeout: float) -> None:
    """Wait up to ``timeout`` seconds for this process's runners to finish."""
    tasks = [h.task for h in _running.values() if h.task is not None]
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)


def launch_generation(
    ctx: RequestContext, generation_id: str, *, claimed: Generation | None = None
) -> RunHandle:
    """Start the runner of a queued generation as its own task.

    ``claimed`` is a new generation its caller stored already running (so it
    writes version 1): the runner skips marking it running."""
    handle = RunHandle(generation_id)
    _running[generation_id] = handle
    handle.task = asyncio.create_task(
        run_generation(ctx, generation_id, handle=handle, claimed=claimed),
        name=f"generation:{generation_id}",
    )
    handle.task.add_done_callback(lambda _: _running.pop(generation_id, None))
    return handle


async def _publish(
    ctx: RequestContext, handle: RunHandle, row: Generation, event: dict[str, Any]
) -> None:
    handle.record(event)
    targets = [channels.generation(row.id)]
    if event["type"] != events.CHUNK and event["type"] != events.PROGRESS:
        targets.append(channels.user_generations(row.user_id))
        if row.team_id:
            targets.append(channels.team_generations(row.team_id))
    for channel in targets:
        try:
            await ctx.services.publisher.publish(channel, event)
        except Exception:
            logger.warning(
                "generation event not published",
                extra={"generation_id": row.id, "channel": channel},
                exc_info=True,
            )


async def _claim(ctx: RequestContext, generation_id: str) -> tuple[Generation, int]:
    """Mark a queued generation running; its row and the version it writes."""
    async with ctx.db.session() as session:
        claimed = await session.execute(
            sa.update(Generation)
            .where(
                col(Generation.id) == generation_id,
                col(Generation.status) == "queued",
            )
            .values(status="running", updated_at=utcnow())
        )
        await session.commit()
        if claimed.rowcount == 0:  # type: ignore[attr-defined]
            raise CancelRequested
        row = await session.get(Generation, generation_id, populate_existing=True)
        latest = await session.scalar(
            select(sa.func.coalesce(sa.func.max(GenerationVersion.version), 0)).where(
                col(GenerationVersion.generation_id) == generation_id
            )
        )
    assert row is not None
    return row, int(latest or 0) + 1


def model_request(row: Generation) -> ModelRequest:
    """The provider call for a stored generation."""
    options = check_options({k: v for k, v in row.options.items() if k != "model"})
    return ModelRequest(
        model=row.model,
        messages=build_messages(row.format, options, row.input),
        temperature=options.temperature,
        max_tokens=options.max_tokens,
        format=row.format,
        input=row.input,
        options=options.as_dict(),
    )


async def _deltas(
    entry: ModelEntry, request: ModelRequest
) -> AsyncIterator[ModelDelta]:
    if entry.streams:
        async for delta in entry.provider.stream(request):
            yield delta
        return
    text, usage = await entry.provider.complete(request)
    yield ModelDelta(text=text)
    yield ModelDelta(usage=usage)


async def _traced(
    ctx: RequestContext, row: Generation, deltas: AsyncIterator[ModelDelta]
) -> AsyncIterator[ModelDelta]:
    """The provider's deltas inside one ``model.call`` span."""
    attributes = {"model": row.model, "format": row.format, "generation_id": row.id}
    with ctx.services.telemetry.span("model.call", attributes):
        async for delta in deltas:
            yield delta


async def _stream(
    ctx: RequestContext, handle: RunHandle, row: Generation, started: float
) -> tuple[str, ModelUsage]:
    """Call the model, publishing each chunk and progress by tenths."""
    registry = ctx.services.models
    if registry is None:
        raise ServiceUnavailable("No model providers are configured")
    entry = registry.resolve(row.model)
    request = model_request(row)
    expected = max(
        1,
        target_words(row.format, str(row.options.get("length") or "medium"), row.input),
    )
    pieces: list[str] = []
    usage = ModelUsage(0, 0)
    reported = 0
    async for delta in _traced(ctx, row, _deltas(entry, request)):
        if delta.usage is not None:
            usage = delta.usage
        if not delta.text:
            continue
        await _publish(
            ctx,
            handle,
            row,
            events.chunk(
                row.id,
                index=len(pieces),
                text=delta.text,
                tokens=max(1, (len(delta.text) + 3) // 4),
            ),
        )
        pieces.append(delta.text)
        percent = min(99, word_count("".join(pieces)) * 100 // expected)
        if percent // 10 > reported // 10:
            reported = percent
            elapsed = time.monotonic() - started
            remaining = int(elapsed * (100 - percent) / max(percent, 1))
            await _publish(
                ctx,
                handle,
                row,
                events.progress(
                    row.id, percent=percent, estimated_remaining_seconds=remaining
                ),
            )
    return "".join(pieces), usage


def title_of(content: str) -> str:
    """A title for the history: the heading, the subject, or the first line."""
    for line in content.splitlines():
        line = line.strip()
        if not line:
            continue
        for prefix in ("# ", "Subject: "):
            if line.startswith(prefix):
                return line[len(prefix) :].strip()[:TITLE_CHARS]
        return line.lstrip("#-* ").strip()[:TITLE_CHARS]
    return ""


async def _watch(
    ctx: RequestContext, handle: RunHandle, generation_id: str, work: asyncio.Task[Any]
) -> None:
    """Cancel ``work`` when a cancel arrives on the control channel, or when the
    row's status says cancelled (a cancel published before we listened)."""

    # Each watcher returns only on a cancel it saw. A failure to look (Redis
    # or the database briefly unreachable) is no cancel: it looks again.
    async def control() -> None:
        assert ctx.services.listener is not None
        while True:
            try:
                async for message in ctx.services.listener.listen(
                    channels.generation_control(generation_id)
                ):
                    if message.get("type") == events.CANCEL:
                        return
            except Exception:
                logger.warning(
                    "cancel channel unreadable; listening again",
                    extra={"generation_id": generation_id},
                    exc_info=True,
                )
            await asyncio.sleep(STATUS_POLL_SECONDS)

    async def status() -> None:
        while True:
            await asyncio.sleep(STATUS_POLL_SECONDS)
            try:
                async with ctx.db.session() as session:
                    current = await session.scalar(
                        select(Generation.status).where(
                            col(Generation.id) == generation_id
                        )
                    )
            except Exception as exc:
                if not is_outage(exc):
                    raise
                logger.warning(
                    "generation status unreadable; polling again",
                    extra={"generation_id": generation_id},
                )
                continue
            if current != "running":
                return

    watchers = [asyncio.create_task(status())]
    if ctx.services.listener is not None:
        watchers.append(asyncio.create_task(control()))
    try:
        await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
        handle.cancel_requested = True
        work.cancel()
    finally:
        for watcher in watchers:
            watcher.cancel()


async def run_generation(
    ctx: RequestContext,
    generation_id: str,
    *,
    handle: RunHandle | None = None,
    claimed: Generation | None = None,
) -> None:
    """Work one queued generation (or a new one stored running, ``claimed``)
    to completed, failed or cancelled."""
    handle = handle or RunHandle(generation_id)
    if claimed is not None:
        row, version = claimed, 1
    else:
        try:
            row, version = await _claim(ctx, generation_id)
        except CancelRequested:
            handle.record(events.cancelled(generation_id))
            return
    started = time.monotonic()
    await _publish(
        ctx,
        handle,
        row,
        events.started(row.id, model=row.model, format=row.format, version=version),
    )
    work = asyncio.create_task(_stream(ctx, handle, row, started))
    watcher = asyncio.create_task(_watch(ctx, handle, generation_id, work))
    finish: Callable[[], Awaitable[None]]
    try:
        content, usage = await work
    except asyncio.CancelledError:
        if not handle.cancel_requested:
            raise
        finish = partial(_finish_cancelled, ctx, handle, row, started)
    except HarvestError as exc:
        finish = partial(_finish_failed, ctx, handle, row, exc, started)
    except Exception:
        logger.exception("generation runner crashed", extra={"generation_id": row.id})
        finish = partial(_finish_failed, ctx, handle, row, ServerError(), started)
    else:
        finish = partial(
            _finish_completed, ctx, handle, row, version, content, usage, started
        )
    try:
        await _stored_despite_outages(ctx, handle, row, finish)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await release_generation(
            ctx.services.rate_limits, user_id=row.user_id, generation_id=row.id
        )


async def _stored_despite_outages(
    ctx: RequestContext,
    handle: RunHandle,
    row: Generation,
    finish: Callable[[], Awaitable[None]],
) -> None:
    """Run ``finish`` (which stores the outcome, then publishes its event),
    again while the database is unreachable, for up to FINISH_RETRY_SECONDS.

    Each attempt is one transaction, so a failed one stored nothing; one whose
    commit landed but whose answer was lost is recognised by the next (see
    ``_finish_completed``). Should the database stay away, or storing fail
    for another reason (the row is then marked failed, if it can be),
    followers are told with an error event rather than left waiting for an
    end that never comes.
    """
    deadline = time.monotonic() + FINISH_RETRY_SECONDS
    delay = 0.2
    while True:
        try:
            await finish()
            return
        except Exception as exc:
            outage = is_outage(exc)
            if outage and time.monotonic() < deadline:
                logger.warning(
                    "database unreachable while storing a generation; retrying",
                    extra={"generation_id": row.id},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            error: HarvestError
            if outage:
                logger.error(
                    "generation outcome not stored: the database stayed unreachable",
                    extra={"generation_id": row.id},
                )
                error = ServiceUnavailable(
                    "The database is unreachable: the generation's outcome "
                    "could not be stored"
                )
            else:
                logger.exception(
                    "generation outcome not stored", extra={"generation_id": row.id}
                )
                error = ServerError()
                with contextlib.suppress(Exception):
                    await _mark_failed(ctx, row.id, error)
            await _publish(
                ctx,
                handle,
                row,
                events.error(row.id, code=error.code.value, message=error.message),
            )
            return


async def _mark_failed(
    ctx: RequestContext, generation_id: str, error: HarvestError
) -> None:
    """The bare minimum when storing an outcome failed: the row is failed, not
    left running for ever."""
    async with ctx.db.session() as session:
        await session.execute(_failing(generation_id, error))
        await session.commit()


def _failing(generation_id: str, error: HarvestError, **values: Any) -> Any:
    """The UPDATE that marks a running generation failed with ``error``."""
    return (
        sa.update(Generation)
        .where(col(Generation.id) == generation_id, col(Generation.status) == "running")
        .values(
            status="failed",
            error_code=error.code.value,
            error_message=error.message[:2000],
            updated_at=utcnow(),
            **values,
        )
    )


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


async def _owner_tier(ctx: RequestContext, session: AsyncSession, user_id: str) -> Tier:
    """The plan of the generation's owner: the caller's, when the caller owns it."""
    if ctx.principal is not None and ctx.principal.user_id == user_id:
        return get_tier(ctx.principal.tier)
    tier = await session.scalar(
        select(User.subscription_tier).where(col(User.id) == user_id)
    )
    return get_tier(tier or "free")


async def _finish_completed(
    ctx: RequestContext,
    handle: RunHandle,
    row: Generation,
    version: int,
    content: str,
    usage: ModelUsage,
    started: float,
) -> None:
    elapsed = _elapsed_ms(started)
    words = word_count(content)
    now = utcnow()
    values: dict[str, Any] = {
        "status": "completed",
        "content": content,
        "title": title_of(content),
        "word_count": words,
        "tokens_used": usage.total_tokens,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "processing_time_ms": elapsed,
        "error_code": None,
        "error_message": None,
        "completed_at": now,
        "updated_at": now,
    }
    async with ctx.db.session() as session:
        stored = await session.execute(
            sa.update(Generation)
            .where(col(Generation.id) == row.id, col(Generation.status) == "running")
            .values(**values)
        )
        if stored.rowcount == 0:  # type: ignore[attr-defined]
            await session.rollback()
            current = await session.scalar(
                select(Generation.status).where(col(Generation.id) == row.id)
            )
            if current != "completed":
                await _publish(ctx, handle, row, events.cancelled(row.id))
                return
            # An earlier attempt stored it; only its commit's answer was lost.
            standing: Usage | None = None
            notifications: list[Any] = []
        else:
            standing, notifications = await _store_completed(
                ctx, session, row, version, content, usage, words, elapsed
            )
            await session.commit()
    for name, value in values.items():
        setattr(row, name, value)
    handle.result = row
    handle.standing = standing
    for notification in notifications:
        await push_notification(ctx, notification)
    logger.info(
        "generation completed",
        extra={"generation_id": row.id, "tokens": usage.total_tokens, "ms": elapsed},
    )
    ctx.services.telemetry.generation_finished(
        model=row.model,
        format=row.format,
        status="completed",
        tokens=usage.total_tokens,
        seconds=elapsed / 1000,
    )
    await _publish(
        ctx,
        handle,
        row,
        events.complete(
            row.id,
            content=content,
            tokens_used=usage.total_tokens,
            processing_time_ms=elapsed,
            word_count=words,
            version=version,
        ),
    )


async def _store_completed(
    ctx: RequestContext,
    session: AsyncSession,
    row: Generation,
    version: int,
    content: str,
    usage: ModelUsage,
    words: int,
    elapsed: int,
) -> tuple[Usage, list[Any]]:
    """Version 1 (or the next), the usage counters, the event and the usage
    alerts, in the transaction that marked the row completed; returns this
    month's usage and the alerts raised."""
    session.add(
        GenerationVersion(
            generation_id=row.id,
            version=version,
            content=content,
            source="generated" if version == 1 else "regenerated",
            created_by=row.user_id,
        )
    )
    await record_generation_usage(
        session,
        user_id=row.user_id,
        team_id=row.team_id,
        format=row.format,
        tokens=usage.total_tokens,
    )
    await emit_event(
        session,
        user_id=row.user_id,
        type="generation.completed",
        data={
            "generation_id": row.id,
            "format": row.format,
            "model": row.model,
            "word_count": words,
            "tokens_used": usage.total_tokens,
            "processing_time_ms": elapsed,
            "version": version,
        },
    )
    # This month's usage, read after counting this generation in the same
    # transaction: it decides the usage alerts and is the generate
    # answer's usage block, so neither reads it again.
    start, end = month_period()
    standing = await usage_between(session, scope_id=row.user_id, start=start, end=end)
    tier = await _owner_tier(ctx, session, row.user_id)
    notifications = []
    if crossings(standing, tier):
        notifications = await raise_usage_alerts(
            session, user_id=row.user_id, usage=standing, tier=tier
        )
    return standing, notifications


async def _finish_failed(
    ctx: RequestContext,
    handle: RunHandle,
    row: Generation,
    error: HarvestError,
    started: float,
) -> None:
    async with ctx.db.session() as session:
        stored = await session.execute(
            _failing(row.id, error, processing_time_ms=_elapsed_ms(started))
        )
        if stored.rowcount == 0:  # type: ignore[attr-defined]
            await session.rollback()
            await _publish(ctx, handle, row, events.cancelled(row.id))
            return
        await emit_event(
            session,
            user_id=row.user_id,
            type="generation.failed",
            data={
                "generation_id": row.id,
                "error": {"code": error.code.value, "message": error.message},
            },
        )
        await session.commit()
    logger.info(
        "generation failed", extra={"generation_id": row.id, "code": error.code.value}
    )
    ctx.services.telemetry.generation_finished(
        model=row.model,
        format=row.format,
        status="failed",
        seconds=_elapsed_ms(started) / 1000,
    )
    await _publish(
        ctx,
        handle,
        row,
        events.error(row.id, code=error.code.value, message=error.message),
    )


async def _finish_cancelled(
    ctx: RequestContext, handle: RunHandle, row: Generation, started: float
) -> None:
    async with ctx.db.session() as session:
        await session.execute(
            sa.update(Generation)
            .where(
                col(Generation.id) == row.id,
                col(Generation.status).in_(("queued", "running")),
            )
            .values(
                status="cancelled",
                processing_time_ms=_elapsed_ms(started),
                updated_at=utcnow(),
            )
        )
        await session.commit()
    ctx.services.telemetry.generation_finished(
        model=row.model,
        format=row.format,
        status="cancelled",
        seconds=_elapsed_ms(started) / 1000,
    )
    await _publish(ctx, handle, row, events.cancelled(row.id))


async def await_generation(
    ctx: RequestContext, generation_id: str, *, timeout: float | None = None
) -> Generation:
    """Wait until the generation ends, then return its stored row.

    A runner in this process is awaited directly (shielded: the caller going
    away does not stop it); one elsewhere is watched through the database.
    """
    handle = _running.get(generation_id)
    deadline = None if timeout is None else time.monotonic() + timeout
    if handle is not None and handle.task is not None:
        await asyncio.wait({handle.task}, timeout=timeout)
        if handle.result is not None:
            return handle.result
    while True:
        async with ctx.db.session() as session:
            row = await session.get(Generation, generation_id)
        if row is None or row.status in TERMINAL_STATUSES:
            break
        if deadline is not None and time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    if row is None:
        raise NotFound("Generation not found", details={"generation_id": generation_id})
    return row
