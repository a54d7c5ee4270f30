"""What the app factory adds for operators and first-time visitors: telemetry
wiring, ``/metrics``, the packaged static assets and the playground at ``/``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from harvest import metrics
from harvest.graphql_observer import observer
from harvest.telemetry import HarvestTelemetry
from harvest.tracing import Tracing

if TYPE_CHECKING:
    from harvest.app import Parts

STATIC_DIR = Path(__file__).resolve().parent / "static"


def tracing_from_environ() -> Tracing | None:
    return Tracing.from_environ(os.environ)


def schema_observers(tracing: Tracing | None) -> tuple[Any, ...]:
    """Schema extensions that report each GraphQL operation."""
    return (observer(tracing.tracer if tracing else None),)


def attach_telemetry(parts: Parts, tracing: Tracing | None) -> None:
    """Give the domains their telemetry and instrument the process's clients."""
    parts.tracing = tracing
    parts.services.telemetry = HarvestTelemetry(tracing.tracer if tracing else None)
    if tracing is not None:
        tracing.instrument_engine(parts.db.engine)
        tracing.instrument_clients()


def tracing_middleware(tracing: Tracing | None) -> list[Middleware]:
    """The request-span middleware, placed outside the request-id middleware."""
    if tracing is None:
        return []
    cls, options = tracing.asgi_middleware()
    return [Middleware(cls, **options)]  # type: ignore[arg-type]


async def playground(request: Request) -> Response:
    """``GET /``: the playground page (plain HTML and a little JavaScript)."""
    return FileResponse(STATIC_DIR / "playground" / "index.html")


def operability_routes() -> list[BaseRoute]:
    return [
        Route("/", playground, methods=["GET"]),
        Route("/metrics", metrics.metrics_endpoint, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def shutdown(parts: Parts) -> None:
    """Leave the shared metrics folder and flush buffered spans."""
    metrics.mark_process_dead()
    tracing: Tracing | None = getattr(parts, "tracing", None)
    if tracing is not None:
        tracing.shutdown()
