"""OpenTelemetry tracing: off unless the standard ``OTEL_*`` variables ask for it.

Tracing is on when ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp`` or
``console``) or an OTLP endpoint is set, and ``OTEL_SDK_DISABLED`` is not true.
The SDK reads the rest itself (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_TRACES_SAMPLER``, ``OTEL_EXPORTER_OTLP_*``, ``OTEL_BSP_*``).

Spans: one per request (ASGI), one per GraphQL operation, SQL statements
(SQLAlchemy), Redis commands, outgoing HTTP (httpx: model providers and webhook
receivers), and the spans the domains open through ``ctx.services.telemetry``
(model calls, webhook deliveries). A span processor stamps every span with the
request id in force when it starts.

The OTLP exporter is the ``tracing`` extra (it brings protobuf); without it
an ``otlp`` exporter is skipped with a warning.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from resolvers.context import current_request_id

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

REQUEST_ID_ATTRIBUTE = "harvest.request_id"
TRACER_NAME = "harvest"


def tracing_requested(environ: Mapping[str, str]) -> bool:
    """Whether the standard variables ask for traces to be exported."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = _exporter_names(environ)
    if exporters:
        return exporters != ["none"]
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def _exporter_names(environ: Mapping[str, str]) -> list[str]:
    raw = environ.get("OTEL_TRACES_EXPORTER", "")
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


def annotate_request_span(
    *, request_id: str, route: str | None = None, operation: str | None = None
) -> None:
    """Name the current request span after its route (cheap when tracing is off)."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
    if route is not None:
        span.set_attribute("http.route", route)
        method = getattr(span, "attributes", {}).get("http.method")
        span.update_name(f"{method} {route}" if method else route)
    if operation:
        span.set_attribute("graphql.operation.name", operation)


class Tracing:
    """A tracer provider and the instrumentation installed on it."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.provider.add_span_processor(_RequestIdStamper())
        self.tracer = provider.get_tracer(TRACER_NAME)
        self._global_instrumentors: list[Any] = []

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Tracing | None:
        """Tracing as the ``OTEL_*`` variables ask, or None when it is off."""
        env = os.environ if environ is None else environ
        if not tracing_requested(env):
            return None
        provider = TracerProvider(
            resource=Resource.create({"service.name": "harvest"})
            if "OTEL_SERVICE_NAME" not in env
            else Resource.create()
        )
        for exporter in _exporters(env):
            provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(provider)

    def asgi_middleware(self) -> tuple[type[Any], dict[str, Any]]:
        """The OpenTelemetry ASGI middleware class and its options."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        options = {
            "tracer_provider": self.provider,
            "exclude_spans": ["receive", "send"],
            "default_span_details": _span_details,
            "server_request_hook": _strip_query,
        }
        return OpenTelemetryMiddleware, options

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """Trace the SQL statements of ``engine`` (this engine only)."""
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        SQLAlchemyInstrumentor().instrument(
            engine=engine.sync_engine,
            tracer_provider=self.provider,
            enable_commenter=False,
            skip_dep_check=True,
        )

    def instrument_clients(self) -> None:
        """Trace Redis commands and outgoing HTTP (process-wide patches)."""
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        for instrumentor in (RedisInstrumentor(), HTTPXClientInstrumentor()):
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument(tracer_provider=self.provider)
                self._global_instrumentors.append(instrumentor)

    def shutdown(self) -> None:
        """Undo the process-wide patches and flush what is buffered."""
        for instrumentor in self._global_instrumentors:
            instrumentor.uninstrument()
        self._global_instrumentors.clear()
        self.provider.force_flush()


def _exporters(environ: Mapping[str, str]) -> list[Any]:
    names = _exporter_names(environ) or ["otlp"]
    exporters: list[Any] = []
    for name in names:
        if name == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )
            except ImportError:
                logger.warning("otlp exporter needs the 'tracing' extra: skipped")
                continue
            exporters.append(OTLPSpanExporter())
        elif name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        elif name != "none":
            logger.warning("unknown trace exporter ignored", extra={"exporter": name})
    return exporters


def _span_details(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # The raw path may carry ids; the route template replaces the name later.
    return str(scope.get("method") or scope.get("type") or "request"), {}


def _strip_query(span: Any, scope: dict[str, Any]) -> None:
    # Query strings can carry credentials (a WebSocket's ?token=): keep them out.
    if not span.is_recording():
        return
    path = str(scope.get("path", ""))
    span.set_attribute("http.target", path)
    for key in ("http.url", "url.full"):
        value = span.attributes.get(key) if hasattr(span, "attributes") else None
        if isinstance(value, str):
            span.set_attribute(key, value.split("?", 1)[0])
    if "url.query" in getattr(span, "attributes", {}):
        span.set_attribute("url.query", "")


class _RequestIdStamper(SpanProcessor):
    """Puts the request id in force on every span as it starts."""

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        request_id = current_request_id.get()
        if request_id and request_id != "-":
            span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
