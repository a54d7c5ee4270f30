"""The ASGI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

import models
from harvest.adapters.billing import make_billing_provider
from harvest.adapters.http import HttpxWebhookTransport
from harvest.adapters.mail import make_mailer
from harvest.adapters.models import build_model_registry
from harvest.adapters.oauth import make_oauth_providers
from harvest.adapters.ratelimit import make_rate_limit_store
from harvest.adapters.throttle.redis import RedisAttemptCounter
from harvest.body_limit import BodyLimitMiddleware
from harvest.conventions import platform_middleware
from harvest.graphql_app import HarvestGraphQL
from harvest.logs import configure_logging
from harvest.middleware import RequestIdMiddleware
from harvest.operability import (
    attach_telemetry,
    operability_routes,
    schema_observers,
    tracing_from_environ,
    tracing_middleware,
)
from harvest.operability import shutdown as operability_shutdown
from harvest.settings import Settings, load_settings
from harvest.tracing import Tracing
from harvest.worker import Worker
from models.db import Database
from models.migrations import upgrade_async
from resolvers.context import AppConfig
from resolvers.errors import ServiceUnavailable
from resolvers.generation_runner import drain_generations
from resolvers.ports import Services
from resolvers.usage_meter import ApiCallMeter
from rest_compat.errors import EXCEPTION_HANDLERS, error_response
from rest_compat.routes import ROUTES
from rest_compat.shim import build_routes
from schema import build_schema
from schema.context import ContextFactory
from subscriptions import ws_protocol
from subscriptions.hub import Hub
from subscriptions.redis_backend import shared_redis
from subscriptions.registry import ConnectionRegistry

logger = logging.getLogger(__name__)

assert models.metadata is not None  # every table registered before use


def app_config(settings: Settings) -> AppConfig:
    return AppConfig(
        secret_key=settings.secret_key,
        public_url=settings.public_url,
        env=settings.env,
        app_url=settings.app_url,
        var_dir=settings.var_dir,
        webhook_allow_private=settings.webhook_allow_private,
        rate_limits=settings.rate_limits,
        webhook_retry_base_seconds=settings.webhook_retry_base_seconds,
        webhook_timeout_seconds=settings.webhook_timeout_seconds,
    )


class Parts:
    """Everything one process holds, built once and shared by every request."""

    def __init__(self, settings: Settings, tracing: Tracing | None = None) -> None:
        self.settings = settings
        self.db = Database(
            settings.database_url,
            connect_timeout=settings.db_connect_timeout_seconds,
            pool_size=settings.db_pool_size,
        )
        self.hub = Hub(settings.redis_url)
        self.ws_registry = ConnectionRegistry()
        self.services = Services(
            mailer=make_mailer(settings),
            publisher=self.hub,
            listener=self.hub,
            models=build_model_registry(settings),
        )
        self.services.billing = make_billing_provider(settings)
        self.webhook_transport = HttpxWebhookTransport()
        self.services.webhooks = self.webhook_transport
        self.config = app_config(settings)
        self.contexts = ContextFactory(
            db=self.db, services=self.services, config=self.config
        )
        self.api_calls = ApiCallMeter(self.db, self.services, self.config)
        self.schema = build_schema(
            production=settings.is_production, extensions=schema_observers(tracing)
        )
        self.tracing = tracing
        attach_telemetry(self, tracing)
        self.worker = Worker(
            self.contexts, lease=timedelta(seconds=settings.job_lease_seconds)
        )
        self.redis: Any = None
        if settings.redis_url:
            # Limits, throttles and counters: commands answered in a
            # millisecond, so a socket silent for 2 s is a Redis outage.
            self.redis = shared_redis(settings.redis_url, socket_timeout=2)
        self.services.rate_limits = make_rate_limit_store(
            self.redis, namespace=settings.rate_limit_namespace
        )
        self.services.oauth = make_oauth_providers(settings)
        if self.redis is not None:
            self.services.attempts = RedisAttemptCounter(
                self.redis, namespace=settings.rate_limit_namespace
            )


async def going_away(app: Starlette, *, grace_seconds: float) -> None:
    """First step of a shutdown, before the server drops its connections: close
    the spec's WebSocket connections and the GraphQL subscription connections
    with 1001 (clients resume elsewhere, from the chunk log), then let this
    process's running generations finish."""
    parts: Parts = app.state.parts
    await parts.ws_registry.going_away()
    await drain_generations(grace_seconds)


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


async def readyz(request: Request) -> Response:
    parts: Parts = request.app.state.parts
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(5):
            await parts.db.ping()
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    if parts.redis is not None:
        try:
            async with asyncio.timeout(3):
                await parts.redis.ping()
            checks["redis"] = "ok"
        except Exception:
            checks["redis"] = "unreachable"
    if any(value != "ok" for value in checks.values()):
        return error_response(
            ServiceUnavailable(
                "Not ready: a dependency is unreachable",
                details={"checks": checks},
                headers={"Retry-After": "5"},
            )
        )
    return Response(
        orjson.dumps({"status": "ok", "checks": checks}), media_type="application/json"
    )


def create_app(
    settings: Settings | None = None,
    *,
    auto_migrate: bool | None = None,
    tracing: Tracing | None = None,
) -> Starlette:
    """Build the application for ``settings`` (read from the environment if None);
    ``tracing`` defaults to what the ``OTEL_*`` variables ask for (off)."""
    settings = settings or load_settings()
    configure_logging(production=settings.is_production)
    parts = Parts(settings, tracing or tracing_from_environ())
    if auto_migrate is None:
        auto_migrate = settings.is_sqlite

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if auto_migrate:
            await upgrade_async(settings.database_url)
        await parts.hub.connect()
        meter_task = asyncio.create_task(parts.api_calls.run())
        worker_task = None
        if settings.run_workers:
            worker_task = asyncio.create_task(parts.worker.run())
        logger.info(
            "harvest started",
            extra={
                "env": settings.env,
                "database": parts.db.dialect,
                "broadcast": parts.hub.backend,
            },
        )
        try:
            yield
        finally:
            if worker_task is not None:
                await parts.worker.stop()
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker_task
            parts.api_calls.stop()
            await meter_task
            await parts.hub.disconnect()
            await parts.webhook_transport.aclose()
            if parts.redis is not None:
                await parts.redis.aclose()
            await parts.db.dispose()
            operability_shutdown(parts)

    graphql = HarvestGraphQL(
        parts.schema,
        parts.contexts,
        ide=not settings.is_production,
        registry=parts.ws_registry,
    )
    rest = build_routes(ROUTES, parts.schema, parts.contexts)
    spec_websocket = ws_protocol.endpoint(
        contexts=parts.contexts, hub=parts.hub, registry=parts.ws_registry
    )
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        WebSocketRoute("/v1", spec_websocket),
        WebSocketRoute("/v1/ws", spec_websocket),
        Mount("/v1", routes=rest),
        *operability_routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            *tracing_middleware(parts.tracing),
            Middleware(RequestIdMiddleware),
            Middleware(BodyLimitMiddleware),
            *platform_middleware(parts),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.parts = parts
    app.state.schema = parts.schema
    app.state.public_url = settings.public_url
    app.state.settings = settings
    return app
