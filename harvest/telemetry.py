"""The ``Telemetry`` the domains call (``ctx.services.telemetry``): Prometheus
series for figures, and OpenTelemetry spans when tracing is on."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from harvest import metrics
from resolvers.telemetry import AttributeValue

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer


class HarvestTelemetry:
    """Implements ``resolvers.telemetry.Telemetry`` for one process."""

    def __init__(self, tracer: Tracer | None = None) -> None:
        self.tracer = tracer

    def generation_finished(
        self,
        *,
        model: str,
        format: str,
        status: str,
        tokens: int = 0,
        seconds: float | None = None,
    ) -> None:
        metrics.GENERATIONS.labels(model, format, status).inc()
        if tokens > 0:
            metrics.GENERATION_TOKENS.labels(model, format).inc(tokens)
        if seconds is not None:
            metrics.GENERATION_SECONDS.labels(model, format).observe(seconds)

    def webhook_delivery(self, *, outcome: str, seconds: float | None = None) -> None:
        metrics.WEBHOOK_DELIVERIES.labels(outcome).inc()
        if seconds is not None:
            metrics.WEBHOOK_SECONDS.observe(seconds)

    def rate_limit_refused(self, *, bucket: str) -> None:
        metrics.RATE_LIMIT_REFUSALS.labels(bucket).inc()

    def job_finished(self, *, kind: str, outcome: str) -> None:
        metrics.JOB_ATTEMPTS.labels(kind, outcome).inc()

    def track_subscription(
        self, surface: str
    ) -> contextlib.AbstractContextManager[None]:
        return metrics.gauge_while(metrics.SUBSCRIPTIONS, surface)

    @contextlib.contextmanager
    def span(
        self, name: str, attributes: Mapping[str, AttributeValue] | None = None
    ) -> Iterator[None]:
        if self.tracer is None:
            yield
            return
        with self.tracer.start_as_current_span(name, attributes=dict(attributes or {})):
            yield
