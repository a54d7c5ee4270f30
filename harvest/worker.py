"""The job loop: claims durable jobs and runs their handlers.

It runs inside ``harvest serve`` (one loop per process) and on its own as
``harvest worker``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta

import resolvers.batches
import resolvers.webhooks
from models.db import is_outage
from models.job import Job
from resolvers import jobs
from schema.context import ContextFactory

JOB_MODULES = (resolvers.batches, resolvers.webhooks)
"""Modules whose import registers job handlers; imported here so that
``harvest worker`` runs every kind even before the schema is built."""

logger = logging.getLogger(__name__)


class Worker:
    """Polls for due jobs; renews each running job's lease until it ends."""

    def __init__(
        self,
        contexts: ContextFactory,
        *,
        poll_seconds: float = 0.5,
        lease: timedelta = timedelta(seconds=30),
        concurrency: int = 4,
    ) -> None:
        self.contexts = contexts
        self.db = contexts.db
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.concurrency = concurrency
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stopping = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and run jobs until ``stop`` is called."""
        while not self._stopping.is_set():
            free = self.concurrency - len(self._running)
            claimed: list[Job] = []
            if free > 0:
                try:
                    async with self.db.session() as session:
                        claimed = await jobs.claim_jobs(
                            session,
                            worker_id=self.worker_id,
                            lease=self.lease,
                            limit=free,
                        )
                except Exception as exc:
                    if not is_outage(exc):
                        logger.exception("job claim failed")
            for job in claimed:
                task = asyncio.create_task(self._run_one(job))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_seconds):
                        await self._wake.wait()
                self._wake.clear()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming; let running jobs finish within the grace period.

        Jobs still running after it keep their lease until it expires, and are
        then claimed again by another worker: nothing is lost.
        """
        self._stopping.set()
        self._wake.set()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace_seconds)
        for task in list(self._running):
            task.cancel()

    async def _run_one(self, job: Job) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(job.id))
        try:
            handler = jobs.handler_for(job.kind)
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            rc = await self.contexts.build(
                token=None, client_ip=None, surface="job", request_id=job.id
            )
            rc.extras["job"] = job
            attributes: dict[str, str | int] = {
                "job_id": job.id,
                "attempt": job.attempts,
            }
            with rc.services.telemetry.span(f"job {job.kind}", attributes):
                async with self.db.session() as session:
                    await handler(session, rc, dict(job.payload))
            async with self.db.session() as session:
                await jobs.finish_job(session, job_id=job.id, worker_id=self.worker_id)
            logger.info(
                "job done",
                extra={"job_id": job.id, "kind": job.kind, "attempt": job.attempts},
            )
            self.contexts.services.telemetry.job_finished(
                kind=job.kind, outcome="succeeded"
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = exc.delay if isinstance(exc, jobs.RetryLater) else None
            logger.warning(
                "job failed",
                extra={
                    "job_id": job.id,
                    "kind": job.kind,
                    "attempt": job.attempts,
                    "error": type(exc).__name__,
                },
            )
            self.contexts.services.telemetry.job_finished(
                kind=job.kind,
                outcome="failed" if job.attempts >= job.max_attempts else "retrying",
            )
            with contextlib.suppress(Exception):
                async with self.db.session() as session:
                    await jobs.fail_job(
                        session,
                        job=job,
                        worker_id=self.worker_id,
                        error=f"{type(exc).__name__}: {exc}",
                        delay=delay,
                    )
        finally:
            heartbeat.cancel()

    async def _heartbeat(self, job_id: str) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            held = True
            with contextlib.suppress(Exception):
                async with self.db.session() as session:
                    held = await jobs.renew_lease(
                        session,
                        job_id=job_id,
                        worker_id=self.worker_id,
                        lease=self.lease,
                    )
            if not held:
                logger.warning("job lease lost", extra={"job_id": job_id})
                return
