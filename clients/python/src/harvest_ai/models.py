"""Request options and response models, named after the spec's objects.

Responses are pydantic models that keep fields the server adds later
(``extra="allow"``), so a newer server never breaks an older client. Request
options are ``TypedDict``: pass plain dicts, as the spec's examples do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

Format = Literal[
    "blog", "email", "summary", "social_post", "product_description", "ad_copy"
]
ExportFormat = Literal["pdf", "markdown", "html", "txt", "docx"]
Role = Literal["owner", "admin", "editor", "viewer"]
Permission = Literal["read", "write"]


class GenerateOptions(TypedDict, total=False):
    """How to write: every key is optional."""

    model: str
    tone: str
    length: str
    language: str
    temperature: float
    max_tokens: int
    audience: str
    style: str
    keywords: list[str]


class BatchItem(TypedDict, total=False):
    """One item of ``generate_batch``: your ``id`` plus a generate body."""

    id: str
    format: str
    input: str
    options: GenerateOptions
    metadata: dict[str, Any]


class TemplateVariable(TypedDict, total=False):
    """A variable of a template's prompt (``{{name}}``)."""

    name: str
    type: str
    description: str
    required: bool
    options: list[str]
    default: Any


class TeamSettings(TypedDict, total=False):
    """A team's settings; give only the ones to change."""

    default_model: str
    shared_templates: bool
    approval_required: bool


class Model(BaseModel):
    """Base of every response model."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Success(Model):
    """The answer of operations that return only an acknowledgement."""

    success: bool
    message: str


class Pagination(Model):
    page: int
    limit: int
    total_items: int
    total_pages: int
    has_next: bool = False
    has_previous: bool = False


class User(Model):
    id: str
    email: str
    name: str
    avatar: str | None = None
    bio: str | None = None
    subscription_tier: str
    subscription_status: str | None = None
    preferences: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_login: datetime | None = None


class Tokens(Model):
    """Credentials are None in the replay of a POST whose first answer was
    lost: the server keeps answers for ``Idempotency-Key``, not secrets."""

    access_token: str | None
    refresh_token: str | None
    expires_in: int


class AuthSession(Model):
    """A signed-in user and their tokens (signup, login)."""

    user: User
    tokens: Tokens


class RefreshedTokens(Model):
    """A new access token, and the refresh token to use next time (None in
    a replay, as in ``Tokens``)."""

    access_token: str | None
    refresh_token: str | None
    expires_in: int


class Usage(Model):
    tokens_used: int
    tokens_remaining: int
    generations_today: int
    generations_limit: int


class Generation(Model):
    """A generation: the full record, or the fields a route returns of it."""

    id: str
    format: str | None = None
    status: str | None = None
    title: str | None = None
    content: str | None = None
    word_count: int | None = None
    tokens_used: int | None = None
    model: str | None = None
    input: str | None = None
    options: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    team_id: str | None = None
    template_id: str | None = None
    versions: list[GenerationVersion] | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    processing_time_ms: int | None = None


class GenerationVersion(Model):
    version: int
    source: str | None = None
    created_at: datetime
    content: str


class GenerateResult(Model):
    """``generate``: the finished generation and the caller's usage."""

    generation: Generation
    usage: Usage | None = None

    @property
    def id(self) -> str:
        return self.generation.id

    @property
    def content(self) -> str | None:
        return self.generation.content


class GenerationSummary(Model):
    """A generation as history lists it."""

    id: str
    format: str
    status: str | None = None
    title: str
    preview: str
    word_count: int
    model: str
    created_at: datetime


class History(Model):
    generations: list[GenerationSummary]
    pagination: Pagination


class ExportLink(Model):
    export_url: str
    expires_at: datetime


class Approval(Model):
    id: str
    team_id: str | None = None
    author_id: str
    approval_status: str | None = None


class BatchAccepted(Model):
    """``generate_batch``: the batch was accepted and runs in the background."""

    batch_id: str
    status: str
    items: int
    estimated_time_seconds: int
    webhook_url: str | None = None
    webhook_secret: str | None = None


class BatchItemStatus(Model):
    id: str
    position: int
    format: str
    status: str
    generation_id: str | None = None
    error: dict[str, Any] | None = None
    updated_at: datetime


class Batch(Model):
    batch_id: str
    status: str
    total_items: int
    completed_items: int
    failed_items: int
    webhook_url: str | None = None
    created_at: datetime
    completed_at: datetime | None = None
    items: list[BatchItemStatus]


class UserUpdated(Model):
    user: User
    message: str


class AccountDeletion(Model):
    success: bool
    message: str
    deletion_date: datetime


class ApiKey(Model):
    """An API key; ``key`` is masked except when just created or rotated (and
    None in the replay of that POST, as in ``Tokens``)."""

    id: str
    name: str
    key: str | None
    last_4: str | None = None
    permissions: list[str]
    last_used: datetime | None = None
    expires_at: datetime | None = None
    previous_valid_until: datetime | None = None
    created_at: datetime | None = None


class IssuedApiKey(Model):
    """A key with its full secret, shown once."""

    api_key: ApiKey
    warning: str


class TeamOwner(Model):
    id: str
    name: str
    avatar: str | None = None


class TeamListing(Model):
    """A team as ``list_teams`` shows it, with the caller's role."""

    id: str
    name: str
    description: str
    role: str
    members_count: int
    owner: TeamOwner
    created_at: datetime


class TeamList(Model):
    teams: list[TeamListing]
    pagination: Pagination


class TeamMember(Model):
    id: str
    name: str
    email: str
    role: str
    joined_at: datetime


class TeamUsage(Model):
    total_generations: int
    tokens_used: int
    active_members: int


class Team(Model):
    """A team; which fields are set depends on the route."""

    id: str
    name: str
    description: str
    invite_code: str | None = None
    owner_id: str | None = None
    role: str | None = None
    members: list[TeamMember] | None = None
    usage: TeamUsage | None = None
    settings: dict[str, Any] | None = None
    created_at: datetime | None = None


class TeamResult(Model):
    team: Team


class MemberResult(Model):
    member: TeamMember


class Invitation(Model):
    id: str
    email: str
    role: str
    expires_at: datetime
    invite_link: str | None = None


class InvitationResult(Model):
    invitation: Invitation


class TemplateAuthor(Model):
    id: str
    name: str


class Template(Model):
    id: str
    name: str
    description: str
    category: str
    is_public: bool
    usage_count: int
    rating: float | None = None
    author: TemplateAuthor | None = None
    format: str | None = None
    prompt: str | None = None
    variables: list[dict[str, Any]] | None = None
    team_id: str | None = None
    rating_count: int | None = None
    my_rating: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class TemplateList(Model):
    templates: list[Template]
    pagination: Pagination | None = None


class TemplateResult(Model):
    template: Template


class TemplateGeneration(Model):
    """``use_template``: the generation written from the template."""

    generation: Generation


class Notification(Model):
    id: str
    type: str
    title: str
    message: str
    action_url: str | None = None
    data: dict[str, Any] | None = None
    read: bool = False
    read_at: datetime | None = None
    created_at: datetime


class NotificationList(Model):
    notifications: list[Notification]
    unread_count: int
    pagination: Pagination


class NotificationResult(Model):
    notification: Notification


class NotificationsMarked(Model):
    updated: int


class Subscription(Model):
    id: str | None = None
    tier: str | None = None
    status: str
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool | None = None
    cancel_at: datetime | None = None
    payment_method: dict[str, Any] | None = None
    limits: dict[str, int] | None = None


class SubscriptionResult(Model):
    subscription: Subscription
    invoice: dict[str, Any] | None = None


class Invoice(Model):
    id: str
    number: str
    amount: int
    currency: str
    status: str
    pdf_url: str | None = None
    created_at: datetime


class InvoiceList(Model):
    invoices: list[Invoice]
    pagination: Pagination | None = None


class UsageReport(Model):
    """``get_usage``: this period's usage against the tier's limits."""

    period: dict[str, datetime]
    tokens: dict[str, float]
    generations: dict[str, Any]
    api_calls: dict[str, int]
    daily_breakdown: list[dict[str, Any]]


class UsageResult(Model):
    usage: UsageReport


class WebhookEndpoint(Model):
    """A webhook endpoint; ``secret`` only when created or rotated."""

    id: str
    url: str
    description: str
    events: list[str]
    enabled: bool
    consecutive_failures: int
    disabled_at: datetime | None = None
    previous_secret_expires_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    secret: str | None = None


class WebhookEndpointList(Model):
    webhooks: list[WebhookEndpoint]
    pagination: Pagination


class WebhookEndpointDeleted(Model):
    id: str
    deleted: bool


class WebhookDelivery(Model):
    id: str
    endpoint_id: str | None = None
    event_id: str
    event_type: str | None = None
    url: str
    status: str
    attempts: int
    response_status: int | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime


class WebhookDeliveryList(Model):
    deliveries: list[WebhookDelivery]
    pagination: Pagination


class WebhookEvent(Model):
    """The body of a webhook delivery."""

    id: str
    type: str
    created_at: datetime
    data: dict[str, Any] = Field(default_factory=dict)


class StreamChunk(Model):
    """One piece of a streamed generation; ``text`` is the new text."""

    text: str
    index: int | None = None
    tokens: int | None = None
    generation_id: str | None = None


class StreamSummary(Model):
    """How a stream ended (``complete``)."""

    generation_id: str | None = None
    total_tokens: int | None = None
    word_count: int | None = None
    processing_time_ms: int | None = None


Generation.model_rebuild()
