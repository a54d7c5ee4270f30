"""A schema extension that makes each GraphQL operation visible to operators.

It names the operation for the access log and the request metrics, opens one
span per operation when tracing is on, and counts open subscriptions. It is
ours rather than Strawberry's OpenTelemetry extension because that one records
the whole document and every resolver's arguments on its spans, and literal
arguments can be passwords or keys.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from strawberry.extensions import SchemaExtension

from harvest import metrics

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

OPERATION_STATE_KEY = "graphql_operation"


class OperationObserver(SchemaExtension):
    """Operation name into the request's state; a span; the subscription gauge."""

    tracer: Tracer | None = None

    def on_operation(self) -> Iterator[None]:
        span = None
        token = None
        if self.tracer is not None:
            span = self.tracer.start_span("graphql.operation")
            token = otel_context.attach(trace.set_span_in_context(span))
        self._subscription: contextlib.ExitStack | None = None
        try:
            yield
        finally:
            name = self.execution_context.operation_name
            kind = self._operation_kind()
            self._remember(name)
            if self._subscription is not None:
                self._subscription.close()
            if span is not None:
                span.update_name(f"graphql.{kind} {name or 'anonymous'}")
                span.set_attribute("graphql.operation.type", kind)
                span.set_attribute("graphql.operation.name", name or "")
                span.end()
            if token is not None:
                with contextlib.suppress(Exception):
                    otel_context.detach(token)

    def on_execute(self) -> Iterator[None]:
        if self._operation_kind() == "subscription" and self._subscription is None:
            self._subscription = contextlib.ExitStack()
            self._subscription.enter_context(
                metrics.gauge_while(metrics.SUBSCRIPTIONS, "graphql")
            )
        self._remember(self.execution_context.operation_name)
        yield

    def _operation_kind(self) -> str:
        try:
            kind = self.execution_context.operation_type
        except Exception:
            return "operation"
        return str(getattr(kind, "value", kind)).lower()

    def _remember(self, name: str | None) -> None:
        context: Any = self.execution_context.context
        rc = getattr(context, "rc", None)
        request = getattr(context, "request", None)
        if getattr(rc, "surface", None) != "graphql" or request is None:
            return
        request.scope.setdefault("state", {})[OPERATION_STATE_KEY] = name or ""


def observer(tracer: Tracer | None) -> Callable[[], OperationObserver]:
    """An extension factory for ``build_schema`` bound to ``tracer``."""

    def make() -> OperationObserver:
        extension = OperationObserver()
        extension.tracer = tracer
        return extension

    return make
