"""Tracing: off by default; when on, one request's spans form one trace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from starlette.applications import Starlette

from harvest.app import create_app
from harvest.settings import Settings
from harvest.tracing import REQUEST_ID_ATTRIBUTE, Tracing, tracing_requested
from tests.factories import make_user

SERVER_INFO = "query TracedInfo { serverInfo { apiVersion } }"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    yield memory
    memory.clear()


@pytest.fixture
async def traced_app(
    settings: Settings, exporter: InMemorySpanExporter
) -> AsyncIterator[Starlette]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    application = create_app(settings, auto_migrate=False, tracing=Tracing(provider))
    async with application.router.lifespan_context(application):
        yield application


def test_tracing_is_off_unless_the_otel_variables_ask() -> None:
    assert not tracing_requested({})
    assert tracing_requested({"OTEL_TRACES_EXPORTER": "console"})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert not tracing_requested({"OTEL_TRACES_EXPORTER": "none"})
    assert not tracing_requested(
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}
    )
    assert Tracing.from_environ({}) is None


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        names.append(by_id[parent.span_id].name)
        parent = by_id[parent.span_id].parent
    return names


async def test_one_request_yields_linked_spans_carrying_the_request_id(
    traced_app: Starlette, exporter: InMemorySpanExporter
) -> None:
    user = await make_user(traced_app)
    exporter.clear()
    transport = httpx.ASGITransport(app=traced_app)

    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as client:
        response = await client.post(
            "/graphql?token=hidden-in-query",
            json={"query": SERVER_INFO},
            headers=user.headers,
        )
    spans = list(exporter.get_finished_spans())

    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    server = [s for s in spans if s.name == "POST /graphql"]
    assert len(server) == 1, [(s.name, s.kind) for s in spans]
    root = server[0]
    ours = [s for s in spans if s.context.trace_id == root.context.trace_id]
    by_id = {s.context.span_id: s for s in ours}
    operation = next(s for s in ours if s.name.startswith("graphql.query"))
    sql = [s for s in ours if s.attributes and "db.statement" in s.attributes]
    assert operation.name == "graphql.query TracedInfo"
    assert operation.parent is not None
    assert operation.parent.span_id == root.context.span_id
    assert sql, [s.name for s in ours]
    assert all(root.name in _ancestors(s, by_id) for s in sql)
    assert {s.attributes.get(REQUEST_ID_ATTRIBUTE) for s in ours if s.attributes} == {
        request_id
    }
    assert all("hidden-in-query" not in str(s.attributes) for s in spans)


async def test_domain_spans_open_through_the_telemetry_port(
    traced_app: Starlette, exporter: InMemorySpanExporter
) -> None:
    telemetry = traced_app.state.parts.services.telemetry

    with telemetry.span("model.call", {"model": "offline"}):
        pass

    names = [s.name for s in exporter.get_finished_spans()]
    assert "model.call" in names
