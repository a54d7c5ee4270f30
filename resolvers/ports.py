"""The outside world as the domain sees it: one small Protocol per service.

The wiring package implements these (``harvest/adapters/``) and hands them in
through ``Services``; resolvers never import an adapter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from resolvers.telemetry import NullTelemetry, Telemetry


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    text: str
    html: str | None = None


class Mailer(Protocol):
    """Sends mail (SMTP, or files in the outbox in development)."""

    async def send(self, message: MailMessage) -> None: ...


class Publisher(Protocol):
    """Publishes an event on a broadcast channel, to every process."""

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None: ...


class Listener(Protocol):
    """Listens to a broadcast channel."""

    def listen(self, channel: str) -> AsyncIterator[dict[str, Any]]: ...


@dataclass
class Services:
    """The adapters one process holds; every request shares them.

    Domains add their own members as they need them (model providers, billing,
    storage); ``extra`` carries adapters a domain has not named yet.
    """

    mailer: Mailer
    publisher: Publisher
    extra: dict[str, Any] = field(default_factory=dict)
    telemetry: Telemetry = field(default_factory=NullTelemetry)
