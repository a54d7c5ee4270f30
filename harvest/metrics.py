"""Prometheus metrics: the series, the route labels, and ``/metrics``.

Series are module-level, registered once per process. Under
``harvest serve --workers N`` the CLI points ``PROMETHEUS_MULTIPROC_DIR`` at an
emptied folder under ``var/`` before the workers start; each worker then writes
its figures to files there and any worker's ``/metrics`` adds them all up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import Scope

from models.base import utcnow
from models.job import Job

if TYPE_CHECKING:
    from models.db import Database

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
MAX_OPERATION_NAMES = 500

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_GENERATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)

HTTP_REQUESTS = Counter(
    "harvest_http_requests_total",
    "HTTP requests answered, by route template (or /graphql and its operation)",
    ["method", "route", "operation", "status"],
)
HTTP_LATENCY = Histogram(
    "harvest_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response",
    ["method", "route", "operation"],
    buckets=_LATENCY_BUCKETS,
)
GENERATIONS = Counter(
    "harvest_generations_total",
    "Generations that ended, by model, format and final status",
    ["model", "format", "status"],
)
GENERATION_TOKENS = Counter(
    "harvest_generation_tokens_total",
    "Tokens used by generations that ended",
    ["model", "format"],
)
GENERATION_SECONDS = Histogram(
    "harvest_generation_duration_seconds",
    "How long generations ran, from start to their final status",
    ["model", "format"],
    buckets=_GENERATION_BUCKETS,
)
SSE_STREAMS = Gauge(
    "harvest_sse_streams_open",
    "Server-Sent Event responses being streamed now",
    ["route"],
    multiprocess_mode="livesum",
)
WEBSOCKETS = Gauge(
    "harvest_websocket_connections_open",
    "Accepted WebSocket connections open now, by endpoint",
    ["route"],
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS = Gauge(
    "harvest_subscriptions_active",
    "Subscriptions listening now (GraphQL subscriptions, spec WebSocket)",
    ["surface"],
    multiprocess_mode="livesum",
)
JOBS = Gauge(
    "harvest_jobs",
    "Durable jobs by status, read from the database when scraped",
    ["status"],
    multiprocess_mode="mostrecent",
)
JOB_QUEUE_AGE = Gauge(
    "harvest_job_queue_oldest_age_seconds",
    "Age of the oldest due job still waiting to be claimed (0 when none)",
    multiprocess_mode="mostrecent",
)
JOB_ATTEMPTS = Counter(
    "harvest_job_attempts_total",
    "Durable job attempts that ended, by kind and outcome",
    ["kind", "outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "harvest_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome (delivered, retrying, failed)",
    ["outcome"],
)
WEBHOOK_SECONDS = Histogram(
    "harvest_webhook_delivery_duration_seconds",
    "Time a webhook delivery attempt took",
    buckets=_LATENCY_BUCKETS,
)
RATE_LIMIT_REFUSALS = Counter(
    "harvest_rate_limit_refusals_total",
    "Requests refused by a rate limit, by bucket",
    ["bucket"],
)

JOB_STATUSES = ("queued", "running", "succeeded", "failed")

_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_seen_operations: set[str] = set()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_dir(var_dir: Path) -> Path:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at an empty folder (before workers start).

    An operator's own setting is kept; its stale files are removed all the same,
    since figures left by a previous run would be added to this one's.
    """
    path = Path(multiprocess_dir() or var_dir / "prometheus")
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def mark_process_dead() -> None:
    """Drop this process's live gauges from the shared folder (at shutdown)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def route_label(scope: Scope, root_path: str = "") -> str:
    """The matched route's template (``/v1/generate/{id}``), never the raw path."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if route is None or not isinstance(template, str):
        return UNMATCHED
    prefix = str(scope.get("root_path", ""))[len(root_path) :]
    if isinstance(route, Mount):
        return (prefix or template) + "/*"
    return prefix + template


def operation_label(name: str | None) -> str:
    """A GraphQL operation name fit to be a label value (bounded in number)."""
    if not name:
        return ""
    if not _OPERATION_NAME.match(name):
        return "invalid"
    if name not in _seen_operations:
        if len(_seen_operations) >= MAX_OPERATION_NAMES:
            return "other"
        _seen_operations.add(name)
    return name


def observe_request(
    *, method: str, route: str, operation: str, status: int, seconds: float
) -> None:
    HTTP_REQUESTS.labels(method, route, operation, str(status)).inc()
    HTTP_LATENCY.labels(method, route, operation).observe(seconds)


@contextlib.contextmanager
def gauge_while(gauge: Gauge, label: str) -> Iterator[None]:
    """Add one to ``gauge{label}`` while inside the block."""
    child = gauge.labels(label)
    child.inc()
    try:
        yield
    finally:
        child.dec()


async def refresh_job_gauges(db: Database) -> None:
    """Read the job table's counts by status and the oldest due job's age."""
    now = utcnow()
    async with db.session() as session:
        counts = dict(
            (
                await session.execute(
                    select(col(Job.status), sa.func.count()).group_by(col(Job.status))
                )
            ).all()
        )
        oldest = (
            await session.execute(
                select(sa.func.min(col(Job.run_at))).where(
                    col(Job.status) == "queued", col(Job.run_at) <= now
                )
            )
        ).scalar_one_or_none()
    for status in JOB_STATUSES:
        JOBS.labels(status).set(int(counts.get(status, 0)))
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    JOB_QUEUE_AGE.set(max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)


def render() -> bytes:
    """The exposition text: this process's registry, or every worker's."""
    folder = multiprocess_dir()
    if folder is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: Prometheus text format."""
    parts: Any = request.app.state.parts
    try:
        async with asyncio.timeout(3):
            await refresh_job_gauges(parts.db)
    except Exception as exc:
        logger.warning("job gauges not refreshed", extra={"error": type(exc).__name__})
    return Response(render(), media_type=CONTENT_TYPE_LATEST)
