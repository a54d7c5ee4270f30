"""Every request/response route of /v1, written once for both clients.

Each function builds the ``Call`` for one route; ``HarvestClient`` and
``AsyncHarvestClient`` turn each into a method of the same name, signature
and docstring. POSTs take ``idempotency_key``: leave it out and the client
makes one, sent on every retry of that call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from harvest_ai._core import Call, compact, query
from harvest_ai.models import (
    AccountDeletion,
    ApiKey,
    Approval,
    AuthSession,
    Batch,
    BatchAccepted,
    BatchItem,
    ExportFormat,
    ExportLink,
    GenerateOptions,
    GenerateResult,
    Generation,
    History,
    Invitation,
    InvoiceList,
    IssuedApiKey,
    Model,
    Notification,
    NotificationList,
    NotificationsMarked,
    Permission,
    RefreshedTokens,
    Subscription,
    SubscriptionResult,
    Success,
    Team,
    TeamList,
    TeamMember,
    TeamSettings,
    Template,
    TemplateList,
    TemplateVariable,
    UsageReport,
    User,
    UserUpdated,
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookEndpoint,
    WebhookEndpointDeleted,
    WebhookEndpointList,
)

M = TypeVar("M", bound=Model)


def _as(model: type[M]) -> Callable[[Any], M]:
    return model.model_validate


def _inside(key: str, model: type[M]) -> Callable[[Any], M]:
    return lambda body: model.model_validate(body[key])


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _when(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _generation_body(
    format: str,
    input: str,
    options: GenerateOptions | Mapping[str, Any] | None,
    metadata: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return compact(
        {"format": format, "input": input, "options": options, "metadata": metadata}
    )


def _generate_result(body: Any) -> GenerateResult:
    return GenerateResult.model_validate(body)


def signup(
    *,
    email: str,
    password: str,
    name: str,
    referral_code: str | None = None,
    marketing_consent: bool | None = None,
    idempotency_key: str | None = None,
) -> Call[AuthSession]:
    """Create an account; returns the user and their first tokens."""
    body = compact(
        {
            "email": email,
            "password": password,
            "name": name,
            "referral_code": referral_code,
            "marketing_consent": marketing_consent,
        }
    )
    return Call(
        "POST",
        "/auth/signup",
        _as(AuthSession),
        json=body,
        idempotency_key=idempotency_key,
    )


def login(
    *,
    email: str,
    password: str,
    remember_me: bool | None = None,
    idempotency_key: str | None = None,
) -> Call[AuthSession]:
    """Sign in with email and password; returns the user and tokens."""
    body = compact({"email": email, "password": password, "remember_me": remember_me})
    return Call(
        "POST",
        "/auth/login",
        _as(AuthSession),
        json=body,
        idempotency_key=idempotency_key,
    )


def refresh(
    refresh_token: str, *, idempotency_key: str | None = None
) -> Call[RefreshedTokens]:
    """Spend a refresh token for a new access token and its replacement."""
    return Call(
        "POST",
        "/auth/refresh",
        _as(RefreshedTokens),
        json={"refresh_token": refresh_token},
        idempotency_key=idempotency_key,
    )


def logout(refresh_token: str, *, idempotency_key: str | None = None) -> Call[Success]:
    """End the session the refresh token belongs to."""
    return Call(
        "POST",
        "/auth/logout",
        _as(Success),
        json={"refresh_token": refresh_token},
        idempotency_key=idempotency_key,
    )


def forgot_password(email: str, *, idempotency_key: str | None = None) -> Call[Success]:
    """Mail a password-reset link (the answer is the same for unknown emails)."""
    return Call(
        "POST",
        "/auth/forgot-password",
        _as(Success),
        json={"email": email},
        idempotency_key=idempotency_key,
    )


def reset_password(
    *, token: str, password: str, idempotency_key: str | None = None
) -> Call[Success]:
    """Set a new password with the ``rst_...`` token from the mail."""
    return Call(
        "POST",
        "/auth/reset-password",
        _as(Success),
        json={"token": token, "password": password},
        idempotency_key=idempotency_key,
    )


def generate(
    *,
    format: str,
    input: str,
    options: GenerateOptions | Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Call[GenerateResult]:
    """Generate content and wait for it.

    Returns the finished generation (``.generation.content``) and the caller's
    usage. Raises ``UnsupportedModel``, ``QuotaExceeded``, ``RateLimited``...
    """
    body = _generation_body(format, input, options, metadata)
    return Call(
        "POST",
        "/generate",
        _generate_result,
        json=body,
        idempotency_key=idempotency_key,
    )


def generate_batch(
    batch: Sequence[BatchItem | Mapping[str, Any]],
    *,
    webhook_url: str | None = None,
    idempotency_key: str | None = None,
) -> Call[BatchAccepted]:
    """Start a batch of generations that run in the background (202)."""
    body = compact(
        {"batch": [dict(item) for item in batch], "webhook_url": webhook_url}
    )
    return Call(
        "POST",
        "/generate/batch",
        _as(BatchAccepted),
        json=body,
        idempotency_key=idempotency_key,
    )


def get_batch(batch_id: str) -> Call[Batch]:
    """A batch and the status of each of its items."""
    return Call("GET", f"/generate/batch/{_seg(batch_id)}", _as(Batch))


def list_history(
    *,
    page: int | None = None,
    limit: int | None = None,
    format: str | None = None,
    model: str | None = None,
    status: str | None = None,
    from_date: datetime | str | None = None,
    to_date: datetime | str | None = None,
    search: str | None = None,
    sort: str | None = None,
    order: str | None = None,
    team_id: str | None = None,
) -> Call[History]:
    """The caller's generations, filtered, searched and paginated."""
    params = query(
        {
            "page": page,
            "limit": limit,
            "format": format,
            "model": model,
            "status": status,
            "from_date": _when(from_date),
            "to_date": _when(to_date),
            "search": search,
            "sort": sort,
            "order": order,
            "team_id": team_id,
        }
    )
    return Call("GET", "/generate/history", _as(History), params=params)


def get_generation(generation_id: str) -> Call[Generation]:
    """One generation with its input, options, metadata and versions."""
    return Call(
        "GET", f"/generate/{_seg(generation_id)}", _inside("generation", Generation)
    )


def delete_generation(generation_id: str) -> Call[Success]:
    """Delete a generation and its versions."""
    return Call("DELETE", f"/generate/{_seg(generation_id)}", _as(Success))


def export_generation(
    generation_id: str,
    *,
    format: ExportFormat | str = "pdf",
    include_metadata: bool | None = None,
    watermark: bool | None = None,
    idempotency_key: str | None = None,
) -> Call[ExportLink]:
    """A signed link to the generation as a file, valid for 24 hours."""
    options = compact({"include_metadata": include_metadata, "watermark": watermark})
    body = compact({"format": format, "options": options or None})
    return Call(
        "POST",
        f"/generate/{_seg(generation_id)}/export",
        _as(ExportLink),
        json=body,
        idempotency_key=idempotency_key,
    )


def approve_generation(
    generation_id: str, *, idempotency_key: str | None = None
) -> Call[Approval]:
    """Approve a team generation that waits for approval (admins, owner)."""
    return Call(
        "POST",
        f"/generate/{_seg(generation_id)}/approve",
        _inside("generation", Approval),
        idempotency_key=idempotency_key,
    )


def reject_generation(
    generation_id: str, *, idempotency_key: str | None = None
) -> Call[Approval]:
    """Reject a team generation that waits for approval (admins, owner)."""
    return Call(
        "POST",
        f"/generate/{_seg(generation_id)}/reject",
        _inside("generation", Approval),
        idempotency_key=idempotency_key,
    )


def get_me() -> Call[User]:
    """The caller's profile, preferences and usage."""
    return Call("GET", "/users/me", _inside("user", User))


def update_me(
    *,
    name: str | None = None,
    bio: str | None = None,
    avatar: str | None = None,
    preferences: Mapping[str, Any] | None = None,
) -> Call[UserUpdated]:
    """Change the profile; ``preferences`` are merged into the stored ones."""
    body = compact(
        {"name": name, "bio": bio, "avatar": avatar, "preferences": preferences}
    )
    return Call("PATCH", "/users/me", _as(UserUpdated), json=body)


def delete_me(
    *,
    password: str | None = None,
    reason: str | None = None,
    feedback: str | None = None,
) -> Call[AccountDeletion]:
    """Schedule the account's deletion (in 30 days); every session ends now."""
    body = compact({"password": password, "reason": reason, "feedback": feedback})
    return Call("DELETE", "/users/me", _as(AccountDeletion), json=body)


def list_api_keys() -> Call[list[ApiKey]]:
    """The caller's API keys, masked."""
    return Call(
        "GET",
        "/users/me/api-keys",
        lambda body: [ApiKey.model_validate(k) for k in body["api_keys"]],
    )


def create_api_key(
    *,
    name: str,
    permissions: Sequence[Permission | str] | None = None,
    expires_at: datetime | str | None = None,
    idempotency_key: str | None = None,
) -> Call[IssuedApiKey]:
    """Create an API key; its full secret (``.api_key.key``) is shown once."""
    body = compact(
        {
            "name": name,
            "permissions": list(permissions) if permissions is not None else None,
            "expires_at": _when(expires_at),
        }
    )
    return Call(
        "POST",
        "/users/me/api-keys",
        _as(IssuedApiKey),
        json=body,
        idempotency_key=idempotency_key,
    )


def delete_api_key(key_id: str) -> Call[Success]:
    """Delete an API key; it stops working at once."""
    return Call("DELETE", f"/users/me/api-keys/{_seg(key_id)}", _as(Success))


def rotate_api_key(
    key_id: str,
    *,
    grace_period_seconds: int | None = None,
    idempotency_key: str | None = None,
) -> Call[IssuedApiKey]:
    """Give a key a new secret; the old one works for the grace period."""
    body = compact({"grace_period_seconds": grace_period_seconds})
    return Call(
        "POST",
        f"/users/me/api-keys/{_seg(key_id)}/rotate",
        _as(IssuedApiKey),
        json=body,
        idempotency_key=idempotency_key,
    )


def list_teams(
    *,
    page: int | None = None,
    limit: int | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> Call[TeamList]:
    """The caller's teams, with their role, size and owner."""
    params = query({"page": page, "limit": limit, "sort": sort, "order": order})
    return Call("GET", "/teams", _as(TeamList), params=params)


def create_team(
    *,
    name: str,
    description: str | None = None,
    settings: TeamSettings | Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Call[Team]:
    """Create a team owned by the caller; it gets an invite code."""
    body = compact({"name": name, "description": description, "settings": settings})
    return Call(
        "POST",
        "/teams",
        _inside("team", Team),
        json=body,
        idempotency_key=idempotency_key,
    )


def join_team(invite_code: str, *, idempotency_key: str | None = None) -> Call[Team]:
    """Join a team with its invite code, as a viewer."""
    return Call(
        "POST",
        "/teams/join",
        _inside("team", Team),
        json={"invite_code": invite_code},
        idempotency_key=idempotency_key,
    )


def get_team(team_id: str) -> Call[Team]:
    """A team's members, this month's usage and settings."""
    return Call("GET", f"/teams/{_seg(team_id)}", _inside("team", Team))


def update_team(
    team_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    settings: TeamSettings | Mapping[str, Any] | None = None,
    regenerate_invite_code: bool | None = None,
) -> Call[Team]:
    """Change a team's name, description or settings (admins, owner)."""
    body = compact(
        {
            "name": name,
            "description": description,
            "settings": settings,
            "regenerate_invite_code": regenerate_invite_code,
        }
    )
    return Call("PATCH", f"/teams/{_seg(team_id)}", _inside("team", Team), json=body)


def delete_team(team_id: str) -> Call[Success]:
    """Delete a team (owner only)."""
    return Call("DELETE", f"/teams/{_seg(team_id)}", _as(Success))


def invite_member(
    team_id: str,
    *,
    email: str,
    role: str = "editor",
    message: str | None = None,
    idempotency_key: str | None = None,
) -> Call[Invitation]:
    """Invite someone by email; the single-use link expires in 7 days."""
    body = compact({"email": email, "role": role, "message": message})
    return Call(
        "POST",
        f"/teams/{_seg(team_id)}/invite",
        _inside("invitation", Invitation),
        json=body,
        idempotency_key=idempotency_key,
    )


def leave_team(team_id: str, *, idempotency_key: str | None = None) -> Call[Success]:
    """Leave a team (an owner transfers ownership first)."""
    return Call(
        "POST",
        f"/teams/{_seg(team_id)}/leave",
        _as(Success),
        idempotency_key=idempotency_key,
    )


def transfer_ownership(
    team_id: str, *, user_id: str, idempotency_key: str | None = None
) -> Call[Team]:
    """Make another member the owner; the caller becomes an admin."""
    return Call(
        "POST",
        f"/teams/{_seg(team_id)}/transfer-ownership",
        _inside("team", Team),
        json={"user_id": user_id},
        idempotency_key=idempotency_key,
    )


def update_member_role(team_id: str, user_id: str, *, role: str) -> Call[TeamMember]:
    """Change a member's role (admin, editor or viewer)."""
    return Call(
        "PATCH",
        f"/teams/{_seg(team_id)}/members/{_seg(user_id)}",
        _inside("member", TeamMember),
        json={"role": role},
    )


def remove_member(team_id: str, user_id: str) -> Call[Success]:
    """Remove a member from a team; the owner cannot be removed."""
    return Call(
        "DELETE", f"/teams/{_seg(team_id)}/members/{_seg(user_id)}", _as(Success)
    )


def accept_invitation(token: str, *, idempotency_key: str | None = None) -> Call[Team]:
    """Accept an invitation sent to the caller's address."""
    return Call(
        "POST",
        f"/invitations/{_seg(token)}/accept",
        _inside("team", Team),
        idempotency_key=idempotency_key,
    )


def decline_invitation(
    token: str, *, idempotency_key: str | None = None
) -> Call[Success]:
    """Decline an invitation sent to the caller's address."""
    return Call(
        "POST",
        f"/invitations/{_seg(token)}/decline",
        _as(Success),
        idempotency_key=idempotency_key,
    )


def list_templates(
    *,
    category: str | None = None,
    is_public: bool | None = None,
    team_id: str | None = None,
    search: str | None = None,
    mine: bool | None = None,
    page: int | None = None,
    limit: int | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> Call[TemplateList]:
    """Templates the caller can see, filtered, searched and paginated."""
    params = query(
        {
            "category": category,
            "is_public": is_public,
            "team_id": team_id,
            "search": search,
            "mine": mine,
            "page": page,
            "limit": limit,
            "sort": sort,
            "order": order,
        }
    )
    return Call("GET", "/templates", _as(TemplateList), params=params)


def create_template(
    *,
    name: str,
    prompt: str,
    description: str | None = None,
    category: str | None = None,
    format: str | None = None,
    variables: Sequence[TemplateVariable | Mapping[str, Any]] | None = None,
    is_public: bool | None = None,
    team_id: str | None = None,
    idempotency_key: str | None = None,
) -> Call[Template]:
    """Create a template; ``{{name}}`` in the prompt marks a variable."""
    body = compact(
        {
            "name": name,
            "prompt": prompt,
            "description": description,
            "category": category,
            "format": format,
            "variables": [dict(v) for v in variables]
            if variables is not None
            else None,
            "is_public": is_public,
            "team_id": team_id,
        }
    )
    return Call(
        "POST",
        "/templates",
        _inside("template", Template),
        json=body,
        idempotency_key=idempotency_key,
    )


def get_template(template_id: str) -> Call[Template]:
    """One template, with its prompt and variables."""
    return Call("GET", f"/templates/{_seg(template_id)}", _inside("template", Template))


def update_template(
    template_id: str,
    *,
    name: str | None = None,
    prompt: str | None = None,
    description: str | None = None,
    category: str | None = None,
    format: str | None = None,
    variables: Sequence[TemplateVariable | Mapping[str, Any]] | None = None,
    is_public: bool | None = None,
) -> Call[Template]:
    """Change a template (its author, or an admin of its team)."""
    body = compact(
        {
            "name": name,
            "prompt": prompt,
            "description": description,
            "category": category,
            "format": format,
            "variables": [dict(v) for v in variables]
            if variables is not None
            else None,
            "is_public": is_public,
        }
    )
    return Call(
        "PATCH",
        f"/templates/{_seg(template_id)}",
        _inside("template", Template),
        json=body,
    )


def delete_template(template_id: str) -> Call[Success]:
    """Delete a template (its author, or an admin of its team)."""
    return Call("DELETE", f"/templates/{_seg(template_id)}", _as(Success))


def rate_template(
    template_id: str, rating: int, *, idempotency_key: str | None = None
) -> Call[Template]:
    """Rate a template from 1 to 5; rating again replaces your rating."""
    return Call(
        "POST",
        f"/templates/{_seg(template_id)}/rate",
        _inside("template", Template),
        json={"rating": rating},
        idempotency_key=idempotency_key,
    )


def use_template(
    template_id: str,
    *,
    variables: Mapping[str, Any] | None = None,
    options: GenerateOptions | Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Call[Generation]:
    """Generate from a template with values for its variables."""
    body = compact({"variables": variables, "options": options, "metadata": metadata})
    return Call(
        "POST",
        f"/templates/{_seg(template_id)}/use",
        _inside("generation", Generation),
        json=body,
        idempotency_key=idempotency_key,
    )


def list_notifications(
    *,
    unread_only: bool | None = None,
    page: int | None = None,
    limit: int | None = None,
    order: str | None = None,
) -> Call[NotificationList]:
    """The caller's notifications, newest first."""
    params = query(
        {"unread_only": unread_only, "page": page, "limit": limit, "order": order}
    )
    return Call("GET", "/notifications", _as(NotificationList), params=params)


def mark_all_notifications_read(
    *, idempotency_key: str | None = None
) -> Call[NotificationsMarked]:
    """Mark every notification read; returns how many changed."""
    return Call(
        "POST",
        "/notifications/read-all",
        _as(NotificationsMarked),
        idempotency_key=idempotency_key,
    )


def mark_notification_read(
    notification_id: str, *, idempotency_key: str | None = None
) -> Call[Notification]:
    """Mark one notification read."""
    return Call(
        "POST",
        f"/notifications/{_seg(notification_id)}/read",
        _inside("notification", Notification),
        idempotency_key=idempotency_key,
    )


def get_subscription() -> Call[Subscription]:
    """The caller's subscription and the limits of their tier."""
    return Call("GET", "/billing/subscription", _inside("subscription", Subscription))


def subscribe(
    *,
    tier: str,
    payment_method_id: str | None = None,
    coupon_code: str | None = None,
    idempotency_key: str | None = None,
) -> Call[SubscriptionResult]:
    """Subscribe to a paid tier, or change tier; returns the invoice too."""
    body = compact(
        {
            "tier": tier,
            "payment_method_id": payment_method_id,
            "coupon_code": coupon_code,
        }
    )
    return Call(
        "POST",
        "/billing/subscribe",
        _as(SubscriptionResult),
        json=body,
        idempotency_key=idempotency_key,
    )


def cancel_subscription(
    *,
    reason: str | None = None,
    feedback: str | None = None,
    cancel_immediately: bool | None = None,
    idempotency_key: str | None = None,
) -> Call[Subscription]:
    """Cancel the subscription, at the period's end or at once."""
    body = compact(
        {
            "reason": reason,
            "feedback": feedback,
            "cancel_immediately": cancel_immediately,
        }
    )
    return Call(
        "POST",
        "/billing/cancel",
        _inside("subscription", Subscription),
        json=body,
        idempotency_key=idempotency_key,
    )


def list_invoices(
    *, page: int | None = None, limit: int | None = None
) -> Call[InvoiceList]:
    """The caller's invoices, newest first."""
    return Call(
        "GET",
        "/billing/invoices",
        _as(InvoiceList),
        params=query({"page": page, "limit": limit}),
    )


def get_usage() -> Call[UsageReport]:
    """This month's usage against the tier's limits."""
    return Call("GET", "/billing/usage", _inside("usage", UsageReport))


def list_webhooks(
    *, page: int | None = None, limit: int | None = None
) -> Call[WebhookEndpointList]:
    """Your webhook endpoints."""
    return Call(
        "GET",
        "/webhooks",
        _as(WebhookEndpointList),
        params=query({"page": page, "limit": limit}),
    )


def create_webhook(
    *,
    url: str,
    events: Sequence[str] | None = None,
    description: str | None = None,
    idempotency_key: str | None = None,
) -> Call[WebhookEndpoint]:
    """Register a webhook endpoint; its signing ``secret`` is shown only here."""
    body = compact(
        {
            "url": url,
            "events": list(events) if events is not None else None,
            "description": description,
        }
    )
    return Call(
        "POST",
        "/webhooks",
        _as(WebhookEndpoint),
        json=body,
        idempotency_key=idempotency_key,
    )


def get_webhook(endpoint_id: str) -> Call[WebhookEndpoint]:
    """One webhook endpoint."""
    return Call("GET", f"/webhooks/{_seg(endpoint_id)}", _as(WebhookEndpoint))


def update_webhook(
    endpoint_id: str,
    *,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> Call[WebhookEndpoint]:
    """Change an endpoint's URL, events, description, or turn it on or off."""
    body = compact(
        {
            "url": url,
            "events": list(events) if events is not None else None,
            "description": description,
            "enabled": enabled,
        }
    )
    return Call(
        "PATCH", f"/webhooks/{_seg(endpoint_id)}", _as(WebhookEndpoint), json=body
    )


def delete_webhook(endpoint_id: str) -> Call[WebhookEndpointDeleted]:
    """Delete an endpoint and its delivery log."""
    return Call("DELETE", f"/webhooks/{_seg(endpoint_id)}", _as(WebhookEndpointDeleted))


def test_webhook(
    endpoint_id: str, *, idempotency_key: str | None = None
) -> Call[WebhookDelivery]:
    """Send a ``webhook.test`` event to the endpoint (202)."""
    return Call(
        "POST",
        f"/webhooks/{_seg(endpoint_id)}/test",
        _as(WebhookDelivery),
        idempotency_key=idempotency_key,
    )


def rotate_webhook_secret(
    endpoint_id: str,
    *,
    overlap_hours: int | None = None,
    idempotency_key: str | None = None,
) -> Call[WebhookEndpoint]:
    """Replace the signing secret; the old one still signs during the overlap."""
    return Call(
        "POST",
        f"/webhooks/{_seg(endpoint_id)}/rotate-secret",
        _as(WebhookEndpoint),
        json=compact({"overlap_hours": overlap_hours}),
        idempotency_key=idempotency_key,
    )


def list_webhook_deliveries(
    endpoint_id: str,
    *,
    status: str | None = None,
    page: int | None = None,
    limit: int | None = None,
) -> Call[WebhookDeliveryList]:
    """The endpoint's deliveries, newest first."""
    params = query({"status": status, "page": page, "limit": limit})
    return Call(
        "GET",
        f"/webhooks/{_seg(endpoint_id)}/deliveries",
        _as(WebhookDeliveryList),
        params=params,
    )


def redeliver_webhook(
    endpoint_id: str, delivery_id: str, *, idempotency_key: str | None = None
) -> Call[WebhookDelivery]:
    """Send a past delivery's event again (202)."""
    path = f"/webhooks/{_seg(endpoint_id)}/deliveries/{_seg(delivery_id)}/redeliver"
    return Call("POST", path, _as(WebhookDelivery), idempotency_key=idempotency_key)


def get_openapi() -> Call[dict[str, Any]]:
    """This server's OpenAPI document for /v1."""
    return Call("GET", "/openapi.json", lambda body: dict(body))


OPERATIONS: tuple[Callable[..., Call[Any]], ...] = (
    signup,
    login,
    refresh,
    logout,
    forgot_password,
    reset_password,
    generate,
    generate_batch,
    get_batch,
    list_history,
    get_generation,
    delete_generation,
    export_generation,
    approve_generation,
    reject_generation,
    get_me,
    update_me,
    delete_me,
    list_api_keys,
    create_api_key,
    delete_api_key,
    rotate_api_key,
    list_teams,
    create_team,
    join_team,
    get_team,
    update_team,
    delete_team,
    invite_member,
    leave_team,
    transfer_ownership,
    update_member_role,
    remove_member,
    accept_invitation,
    decline_invitation,
    list_templates,
    create_template,
    get_template,
    update_template,
    delete_template,
    rate_template,
    use_template,
    list_notifications,
    mark_all_notifications_read,
    mark_notification_read,
    get_subscription,
    subscribe,
    cancel_subscription,
    list_invoices,
    get_usage,
    list_webhooks,
    create_webhook,
    get_webhook,
    update_webhook,
    delete_webhook,
    test_webhook,
    rotate_webhook_secret,
    list_webhook_deliveries,
    redeliver_webhook,
    get_openapi,
)
