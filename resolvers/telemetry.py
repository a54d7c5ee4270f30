"""What the domains report about themselves: counters for the operators'
dashboards and spans for traces, named as a Protocol so that no domain module
imports a metrics or tracing library.

The wiring package hands an implementation in as ``ctx.services.telemetry``
(Prometheus and OpenTelemetry); ``NullTelemetry`` stands in where nothing is
wired, so a call is always safe. Label values must come from small fixed sets
(a format, a model name from the registry, an outcome word), never from user
input, so the number of series stays bounded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Protocol

AttributeValue = str | int | float | bool


class Telemetry(Protocol):
    """Figures and spans the domains report; every method returns quickly."""

    def generation_finished(
        self,
        *,
        model: str,
        format: str,
        status: str,
        tokens: int = 0,
        seconds: float | None = None,
    ) -> None:
        """A generation ended: ``status`` is completed, failed or cancelled."""
        ...

    def webhook_delivery(self, *, outcome: str, seconds: float | None = None) -> None:
        """One delivery attempt ended: delivered, retrying or failed."""
        ...

    def rate_limit_refused(self, *, bucket: str) -> None:
        """A request was refused by the rate limiter's ``bucket``."""
        ...

    def job_finished(self, *, kind: str, outcome: str) -> None:
        """A durable job attempt ended: succeeded, retrying or failed."""
        ...

    def track_subscription(
        self, surface: str
    ) -> contextlib.AbstractContextManager[None]:
        """Count an open subscription (``graphql`` or ``websocket``) while inside."""
        ...

    def span(
        self, name: str, attributes: Mapping[str, AttributeValue] | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """A trace span around a unit of work (a model call, a delivery)."""
        ...


class NullTelemetry:
    """Reports nothing: for processes and tests that wire no telemetry."""

    def generation_finished(
        self,
        *,
        model: str,
        format: str,
        status: str,
        tokens: int = 0,
        seconds: float | None = None,
    ) -> None:
        return None

    def webhook_delivery(self, *, outcome: str, seconds: float | None = None) -> None:
        return None

    def rate_limit_refused(self, *, bucket: str) -> None:
        return None

    def job_finished(self, *, kind: str, outcome: str) -> None:
        return None

    @contextlib.contextmanager
    def track_subscription(self, surface: str) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def span(
        self, name: str, attributes: Mapping[str, AttributeValue] | None = None
    ) -> Iterator[None]:
        yield
