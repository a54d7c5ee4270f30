"""API calls per user: counted in memory on each request, written in batches.

A database write on every request would cost more than most requests do, so
each process adds up its own calls and writes them every few seconds (one
upsert per user and day), then raises the usage alerts the new totals earn.
A process that dies loses at most one interval of counts; a clean shutdown
writes what is pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from models.db import Database
from resolvers.context import AppConfig, RequestContext
from resolvers.ports import Services
from resolvers.usage import record_api_calls
from resolvers.usage_alerts import check_usage_alerts

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0


class ApiCallMeter:
    """Counts this process's API calls per user until the next flush."""

    def __init__(
        self,
        db: Database,
        services: Services,
        config: AppConfig,
        *,
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self.db = db
        self.services = services
        self.config = config
        self.flush_seconds = flush_seconds
        self._pending: Counter[str] = Counter()
        self._stopping = asyncio.Event()

    def count(self, user_id: str) -> None:
        """One API call by ``user_id`` (no I/O: it waits for the next flush)."""
        self._pending[user_id] += 1

    async def flush(self) -> int:
        """Write the pending counts, then raise the alerts they earn; returns
        how many users were written."""
        pending, self._pending = self._pending, Counter()
        if not pending:
            return 0
        try:
            async with self.db.session() as session:
                for user_id, calls in pending.items():
                    await record_api_calls(session, user_id=user_id, calls=calls)
                await session.commit()
        except BaseException:
            self._pending.update(pending)  # kept for the next flush
            raise

        ctx = RequestContext(
            db=self.db,
            services=self.services,
            config=self.config,
            request_id="api-call-meter",
            surface="job",
        )
        for user_id in pending:
            await check_usage_alerts(ctx, user_id=user_id)
        return len(pending)

    async def run(self) -> None:
        """Flush every ``flush_seconds`` until ``stop``; a failed flush is
        logged and its counts wait for the next one."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_seconds):
                    await self._stopping.wait()
            try:
                await self.flush()
            except Exception:
                logger.exception("api call usage flush failed")

    def stop(self) -> None:
        """End ``run`` after one last flush."""
        self._stopping.set()
