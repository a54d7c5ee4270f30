"""Durable jobs: enqueued in the caller's transaction, claimed under a lease,
retried with exponential backoff, never lost when a worker dies.

On PostgreSQL a claim takes rows ``FOR UPDATE SKIP LOCKED``; on both databases
the claiming UPDATE is conditional, so two workers never run one job at once.
A worker that dies stops renewing its lease and the job becomes claimable again;
a job whose lease runs out on its last attempt is marked failed instead of being
run once more than it may.

A handler signals failure by raising. ``RetryLater`` chooses the delay before the
next attempt (webhook deliveries follow their own schedule); any other exception
waits ``backoff(attempts)``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.job import Job
from resolvers.context import RequestContext

logger = logging.getLogger(__name__)

JobHandler = Callable[[AsyncSession, RequestContext, dict[str, Any]], Awaitable[None]]

_HANDLERS: dict[str, JobHandler] = {}

MAX_BACKOFF_SECONDS = 600

LEASE_LOST_ERROR = "lease expired on the last attempt (worker stopped or died)"


class RetryLater(Exception):
    """Raised by a handler: this attempt failed; try again after ``delay``."""

    def __init__(self, reason: str, *, delay: timedelta) -> None:
        super().__init__(reason)
        self.delay = delay


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the function that runs jobs of ``kind``."""

    def register(handler: JobHandler) -> JobHandler:
        _HANDLERS[kind] = handler
        return handler

    return register


def handler_for(kind: str) -> JobHandler | None:
    """The handler registered for ``kind``, if any."""
    return _HANDLERS.get(kind)


def is_last_attempt(ctx: RequestContext) -> bool:
    """True inside a handler running its job's final attempt."""
    job = ctx.extras.get("job")
    return isinstance(job, Job) and job.attempts >= job.max_attempts


def enqueue_job(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime | None = None,
    max_attempts: int = 8,
) -> Job:
    """Add a job to the session; it is stored when the caller commits."""
    job = Job(
        kind=kind, payload=payload, run_at=run_at or utcnow(), max_attempts=max_attempts
    )
    session.add(job)
    return job


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt: 2, 4, 8 ... seconds, capped."""
    return timedelta(seconds=min(2 ** max(attempts, 1), MAX_BACKOFF_SECONDS))


async def claim_jobs(
    session: AsyncSession, *, worker_id: str, lease: timedelta, limit: int = 4
) -> list[Job]:
    """Claim up to ``limit`` due jobs for ``worker_id`` and commit the claim."""
    now = utcnow()
    expired = sa.and_(col(Job.status) == "running", col(Job.locked_until) < now)
    await session.execute(
        sa.update(Job)
        .where(expired, col(Job.attempts) >= col(Job.max_attempts))
        .values(
            status="failed",
            locked_until=None,
            last_error=LEASE_LOST_ERROR,
            updated_at=now,
        )
    )
    due = sa.or_(
        sa.and_(col(Job.status) == "queued", col(Job.run_at) <= now),
        sa.and_(expired, col(Job.attempts) < col(Job.max_attempts)),
    )
    query = select(Job.id).where(due).order_by(col(Job.run_at)).limit(limit)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list((await session.execute(query)).scalars())
    claimed: list[str] = []
    for job_id in ids:
        result = await session.execute(
            sa.update(Job)
            .where(col(Job.id) == job_id, due)
            .values(
                status="running",
                locked_by=worker_id,
                locked_until=now + lease,
                attempts=col(Job.attempts) + 1,
                updated_at=now,
            )
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(job_id)
    await session.commit()
    if not claimed:
        return []
    rows = await session.execute(select(Job).where(col(Job.id).in_(claimed)))
    return list(rows.scalars())


async def renew_lease(
    session: AsyncSession, *, job_id: str, worker_id: str, lease: timedelta
) -> bool:
    """Extend a running job's lease; False when another worker took it over."""
    result = await session.execute(
        sa.update(Job)
        .where(
            col(Job.id) == job_id,
            col(Job.locked_by) == worker_id,
            col(Job.status) == "running",
        )
        .values(locked_until=utcnow() + lease)
    )
    await session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def finish_job(session: AsyncSession, *, job_id: str, worker_id: str) -> None:
    """Mark a job done, if ``worker_id`` still holds it."""
    await session.execute(
        sa.update(Job)
        .where(
            col(Job.id) == job_id,
            col(Job.locked_by) == worker_id,
            col(Job.status) == "running",
        )
        .values(
            status="succeeded", locked_until=None, updated_at=utcnow(), last_error=None
        )
    )
    await session.commit()


async def fail_job(
    session: AsyncSession,
    *,
    job: Job,
    worker_id: str,
    error: str,
    delay: timedelta | None = None,
) -> None:
    """Schedule a retry after ``delay`` (default: backoff), or mark the job
    failed after its last try."""
    now = utcnow()
    final = job.attempts >= job.max_attempts
    wait = backoff(job.attempts) if delay is None else delay
    await session.execute(
        sa.update(Job)
        .where(
            col(Job.id) == job.id,
            col(Job.locked_by) == worker_id,
            col(Job.status) == "running",
        )
        .values(
            status="failed" if final else "queued",
            run_at=now if final else now + wait,
            locked_until=None,
            last_error=error[:2000],
            updated_at=now,
        )
    )
    await session.commit()


async def retry_failed_job(session: AsyncSession, *, job_id: str) -> bool:
    """Put a failed job back in the queue (admin action)."""
    result = await session.execute(
        sa.update(Job)
        .where(col(Job.id) == job_id, col(Job.status) == "failed")
        .values(status="queued", run_at=utcnow(), attempts=0, updated_at=utcnow())
    )
    await session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def queue_depth(session: AsyncSession) -> int:
    """How many jobs wait to run."""
    result = await session.execute(
        select(sa.func.count()).select_from(Job).where(col(Job.status) == "queued")
    )
    return int(result.scalar_one())
