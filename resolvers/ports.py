"""The outside world as the domain sees it: one small Protocol per service.

The wiring package implements these (``harvest/adapters/``) and hands them in
through ``Services``; resolvers never import an adapter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from resolvers.telemetry import NullTelemetry, Telemetry

if TYPE_CHECKING:
    from resolvers.model_registry import ModelRegistry


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


@dataclass(frozen=True)
class LimitCharge:
    """One bucket a request draws on: a counter over a window (``slot`` None),
    or a held slot named ``slot`` with a lease of ``window_seconds``."""

    key: str
    limit: int
    window_seconds: float
    slot: str | None = None


@dataclass(frozen=True)
class LimitUsage:
    """A bucket after a charge: how much is used, and when room frees up."""

    used: int
    reset_after_seconds: float


@dataclass(frozen=True)
class LimitOutcome:
    """All charges taken together, or none (``refused`` names the first full)."""

    usages: tuple[LimitUsage, ...]
    refused: int | None = None

    @property
    def allowed(self) -> bool:
        return self.refused is None


class RateLimitStore(Protocol):
    """Counters shared by every process that enforces the same limits."""

    async def charge(self, charges: tuple[LimitCharge, ...]) -> LimitOutcome:
        """Take one unit from every bucket atomically, or from none."""
        ...

    async def release(self, key: str, slot: str) -> None:
        """Give back a held slot (a finished generation)."""
        ...


def _memory_rate_limits() -> RateLimitStore:
    from resolvers.ratelimit_memory import MemoryRateLimitStore

    return MemoryRateLimitStore()


class Listener(Protocol):
    """Listens to a broadcast channel."""

    def listen(self, channel: str) -> AsyncIterator[dict[str, Any]]: ...


@dataclass(frozen=True)
class PaymentMethodInfo:
    """The card a subscription is paid with, as the spec shows it."""

    type: str
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True)
class ProviderInvoice:
    """An invoice as the billing provider reports it."""

    provider_id: str | None
    number: str | None
    amount: int
    currency: str
    status: str
    pdf_url: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None


@dataclass(frozen=True)
class ProviderSubscription:
    """A subscription as the billing provider reports it."""

    provider_id: str | None
    customer_id: str | None
    tier: str
    status: str
    current_period_start: datetime
    current_period_end: datetime
    cancel_at_period_end: bool = False
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    payment_method: PaymentMethodInfo | None = None
    invoice: ProviderInvoice | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """An inbound event from the billing provider, its signature checked.

    ``kind`` is what it means here: ``subscription`` (created, changed or
    ended), ``payment_succeeded``, ``payment_failed``, or ``ignored``.
    """

    id: str
    type: str
    kind: str
    customer_id: str | None = None
    subscription_id: str | None = None
    subscription: ProviderSubscription | None = None
    invoice: ProviderInvoice | None = None


class BillingProvider(Protocol):
    """Takes payments for subscriptions (Stripe, or a local stand-in)."""

    name: str

    async def subscribe(
        self,
        *,
        user_id: str,
        email: str,
        customer_id: str | None,
        subscription_id: str | None,
        tier: str,
        price_cents: int,
        payment_method_id: str | None,
        coupon_code: str | None,
    ) -> ProviderSubscription:
        """Start a subscription to ``tier``, or move an existing one to it."""
        ...

    async def cancel(
        self,
        *,
        subscription_id: str | None,
        tier: str,
        period_start: datetime,
        period_end: datetime,
        immediately: bool,
    ) -> ProviderSubscription:
        """Cancel at the end of the period, or at once."""
        ...

    async def resume(
        self,
        *,
        subscription_id: str | None,
        tier: str,
        period_start: datetime,
        period_end: datetime,
    ) -> ProviderSubscription:
        """Take back a cancel set for the period's end; nothing is charged."""
        ...

    def verify_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """Check an inbound webhook's signature and age, and parse it."""
        ...


@dataclass(frozen=True)
class OutboundPost:
    """One webhook POST: the URL as registered, and the checked address to use."""

    url: str
    address: str
    body: bytes
    headers: Mapping[str, str]
    timeout_seconds: float


@dataclass(frozen=True)
class OutboundResult:
    """What came back: a status code, or the reason no response arrived."""

    status_code: int | None
    error: str | None = None
    duration_ms: int = 0


class WebhookTransport(Protocol):
    """Resolves webhook hosts and POSTs to an already checked address."""

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to (empty when it does not resolve)."""
        ...

    async def post(self, request: OutboundPost) -> OutboundResult:
        """Send one POST without following redirects."""
        ...


@dataclass(frozen=True)
class ModelRequest:
    """One call to a model: the chat messages, the sampling bounds, and the
    brief they were built from (the offline writer writes from the brief)."""

    model: str
    messages: list[dict[str, str]]
    temperature: float
    max_tokens: int
    format: str
    input: str
    options: Mapping[str, Any]


@dataclass(frozen=True)
class ModelUsage:
    """Tokens a call consumed, as the provider reports them."""

    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ModelDelta:
    """One piece of a streamed answer: text, or the usage report at the end."""

    text: str = ""
    usage: ModelUsage | None = None


class ModelProvider(Protocol):
    """Writes text for a model name (an OpenAI-compatible endpoint, or the
    offline writer). Failures are raised as the domain's errors: Timeout,
    ServiceUnavailable, ContentFiltered."""

    name: str

    def stream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        """Yield the answer in pieces, then one delta carrying the usage."""
        ...

    async def complete(self, request: ModelRequest) -> tuple[str, ModelUsage]:
        """The whole answer at once, with its usage."""
        ...


class AttemptCounter(Protocol):
    """Counts failed attempts per key in a sliding window (memory or Redis)."""

    async def failures(self, key: str) -> tuple[int, float]:
        """The failures in the window and the epoch time of the last one."""
        ...

    async def record_failure(self, key: str) -> int: ...

    async def clear(self, key: str) -> None: ...


def _memory_attempts() -> AttemptCounter:
    from resolvers.auth_throttle import MemoryAttemptCounter

    return MemoryAttemptCounter()


@dataclass(frozen=True)
class OAuthProfile:
    """Who the provider says signed in; ``email`` only counts when verified."""

    subject: str
    email: str | None
    email_verified: bool
    name: str = ""
    avatar: str | None = None


class OAuthProvider(Protocol):
    """One OAuth 2 provider: the consent redirect, then code for profile."""

    name: str

    def authorization_url(
        self, *, redirect_uri: str, state: str, code_verifier: str
    ) -> str: ...

    async def fetch_profile(
        self, *, redirect_uri: str, code: str, code_verifier: str
    ) -> OAuthProfile: ...


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
    rate_limits: RateLimitStore = field(default_factory=_memory_rate_limits)
    models: ModelRegistry | None = None
    listener: Listener | None = None
    webhooks: WebhookTransport | None = None
    billing: BillingProvider | None = None
    attempts: AttemptCounter = field(default_factory=_memory_attempts)
    oauth: dict[str, OAuthProvider] = field(default_factory=dict)
