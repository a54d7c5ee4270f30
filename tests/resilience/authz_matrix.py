"""The authorization matrix: who may do what to whose object, route by route.

A cell is (persona, ownership) and holds what the product must answer:

- ``OK``: the call succeeds (any 2xx, or a 3xx redirect);
- a status (401, 403, 404): the spec's envelope with that status and its code;
- ``ANY``: a public route; credentials change nothing, the answer is never
  401 / 403 / 5xx (the body may still be refused as invalid).

Ownership is relative to the caller: ``own`` (the caller's object),
``same_team`` (an object of a team the caller is in, authored by another
member) and ``other_team`` (another tenant's object: another user's, or a
team the caller is not in). Another tenant's object always answers 404, as
a missing one does: a 403 would tell the caller it exists.

Rules are plain functions of (persona, ownership), grouped below by policy;
each REST route and each GraphQL root field names one rule, so the policy
reads from top to bottom and a new route cannot be added without a line
here (``test_authorization_matrix`` fails on anything unlisted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

OK = "ok"
ANY = "any"
Expect = str | int | None
"""``None``: the cell does not apply (no such object for that persona)."""

# Personas. The credential personas present no usable credential; the key
# personas are API keys of ``owner``.
CREDENTIALS = ("anonymous", "bad_token", "expired_token", "revoked_token")
CREDENTIALS += ("revoked_key",)
KEYS = ("read_key", "write_key")
USERS = ("owner", "other_user")
TEAM = ("team_viewer", "team_editor", "team_admin", "team_owner", "non_member")
PERSONAS = CREDENTIALS + KEYS + USERS + TEAM

OWNERSHIPS = ("own", "same_team", "other_team")

TEAM_ROLE = {
    "team_viewer": "viewer",
    "team_editor": "editor",
    "team_admin": "admin",
    "team_owner": "owner",
}
RANK = {"viewer": 0, "editor": 1, "admin": 2, "owner": 3}

Rule = Callable[[str, str], Expect]


def _gate(persona: str, ownership: str) -> Expect:
    """What every protected route answers before its own rule applies: 401
    for a credential persona, tried once (on an object that exists). Rules
    read it as ``if (gate := _gate(...)) or persona in CREDENTIALS: return
    gate``: a credential persona has no other cell."""
    if persona in CREDENTIALS:
        return 401 if ownership == "own" else None
    return None


# --- public: no credential needed, none refused ---------------------------


def public(persona: str, ownership: str) -> Expect:
    """Sign-up, login, OAuth, the inbound billing webhook, the API's own
    documents: whatever the credential, the same answer."""
    return ANY if ownership == "own" and persona in CREDENTIALS + USERS else None


# --- the caller's own account: no object in the path ----------------------


def caller_read(persona: str, ownership: str) -> Expect:
    """Reads of the caller's own account, lists and reports."""
    if ownership != "own" or persona in TEAM:
        return None
    return _gate(persona, ownership) or OK


def session_only(persona: str, ownership: str) -> Expect:
    """Deleting the account takes a signed-in session: no API key may."""
    expected = caller_write(persona, ownership)
    return 403 if persona in KEYS and expected is not None else expected


def caller_write(persona: str, ownership: str) -> Expect:
    """Changes to the caller's own account; a read-only key may not."""
    if ownership != "own" or persona in TEAM:
        return None
    if persona == "read_key":
        return 403
    return _gate(persona, ownership) or OK


# --- objects a single user owns (keys, webhooks, notifications, batches) --


def owner_read(persona: str, ownership: str) -> Expect:
    """Its owner (through a session or either key) reads it; anyone else gets
    NOT_FOUND. No team shares these."""
    if (gate := _gate(persona, ownership)) or persona in CREDENTIALS:
        return gate
    if persona in TEAM:
        return None
    if ownership == "same_team":
        return None
    if persona == "other_user":
        return 404 if ownership == "other_team" else None
    return OK if ownership == "own" else 404


def _writes(rule: Rule) -> Rule:
    """The same cells, but a read-only key is FORBIDDEN whatever the object:
    the key's scope is checked before any object is looked up, so the answer
    tells nothing about the object."""

    def write_rule(persona: str, ownership: str) -> Expect:
        expected = rule(persona, ownership)
        if persona == "read_key" and expected is not None:
            return 403
        return expected

    write_rule.__name__ = rule.__name__
    write_rule.__doc__ = rule.__doc__
    return write_rule


@_writes
def owner_write(persona: str, ownership: str) -> Expect:
    """Its owner changes it, with a session or a read-write key."""
    return owner_read(persona, ownership)


def signed_link(persona: str, ownership: str) -> Expect:
    """An export link is its own credential (the spec's ``export_url``): a
    signed link serves whoever holds it; another's file with a forged or
    missing signature is FORBIDDEN."""
    if persona in (*CREDENTIALS, "owner"):
        return OK if ownership == "own" else 403 if ownership == "other_team" else None
    return None


# --- generations: the author's, and a team's for its members --------------


def _team_cell(persona: str, ownership: str, least_role: str) -> Expect:
    """A team object: members of at least ``least_role`` may, members below
    are FORBIDDEN, everyone else gets NOT_FOUND."""
    if ownership == "other_team":
        return 404
    if ownership != "same_team":
        return None
    role = TEAM_ROLE.get(persona)
    if role is None:
        return 404
    return OK if RANK[role] >= RANK[least_role] else 403


def _author_or_team(persona: str, ownership: str, least_role: str) -> Expect:
    if (gate := _gate(persona, ownership)) or persona in CREDENTIALS:
        return gate
    if persona in KEYS + USERS:
        if ownership == "same_team":
            return None
        if persona == "other_user":
            return 404 if ownership == "other_team" else None
        return OK if ownership == "own" else 404
    if ownership == "own":
        return None
    return _team_cell(persona, ownership, least_role)


def team_member_read(persona: str, ownership: str) -> Expect:
    """Read by its author or any member of its team (viewer and up)."""
    return _author_or_team(persona, ownership, "viewer")


@_writes
def team_viewer_use(persona: str, ownership: str) -> Expect:
    """Use (of a template, a rating): any member, and the author; it writes
    something of the caller's own, so a read-only key may not."""
    return _author_or_team(persona, ownership, "viewer")


@_writes
def team_viewer_rate(persona: str, ownership: str) -> Expect:
    """Rate: like use, except that nobody rates their own template (403)."""
    expected = _author_or_team(persona, ownership, "viewer")
    return 403 if ownership == "own" and expected == OK else expected


@_writes
def team_editor_write(persona: str, ownership: str) -> Expect:
    """Edit, regenerate or cancel: its author, or a team editor and up;
    viewers are FORBIDDEN."""
    return _author_or_team(persona, ownership, "editor")


@_writes
def team_admin_write(persona: str, ownership: str) -> Expect:
    """Change by its author, or a team admin and up; editors and viewers are
    FORBIDDEN (they see it but may not touch another member's work)."""
    return _author_or_team(persona, ownership, "admin")


def team_approver(persona: str, ownership: str) -> Expect:
    """Approve or reject a pending team generation: admins and the owner.
    A pending generation is hidden from viewers and editors (NOT_FOUND)."""
    if (gate := _gate(persona, ownership)) or persona in CREDENTIALS:
        return gate
    if persona in KEYS + USERS:
        if persona == "owner" and ownership == "other_team":
            return 404
        return None
    expected = _team_cell(persona, ownership, "admin")
    return 404 if expected == 403 else expected


# --- teams themselves -----------------------------------------------------


def _team_only(persona: str, ownership: str, least_role: str) -> Expect:
    if (gate := _gate(persona, ownership)) or persona in CREDENTIALS:
        return gate
    if persona in KEYS + USERS:
        return 404 if ownership == "other_team" and persona == "owner" else None
    if ownership == "own":
        return None
    return _team_cell(persona, ownership, least_role)


def team_read(persona: str, ownership: str) -> Expect:
    return _team_only(persona, ownership, "viewer")


def team_admin(persona: str, ownership: str) -> Expect:
    return _team_only(persona, ownership, "admin")


def team_owner(persona: str, ownership: str) -> Expect:
    return _team_only(persona, ownership, "owner")


def team_leave(persona: str, ownership: str) -> Expect:
    """Any member but the owner (who must transfer ownership first)."""
    expected = _team_only(persona, ownership, "viewer")
    if persona == "team_owner" and expected == OK:
        return 403
    return expected


def team_member_manage(persona: str, ownership: str) -> Expect:
    """Change or remove a member below one's own rank: admins and the owner."""
    return _team_only(persona, ownership, "admin")


# --- invitations: addressed to one person --------------------------------


def invitee(persona: str, ownership: str) -> Expect:
    """An invitation token answers its invitee only. A token is a secret the
    caller already holds, so a wrong caller is FORBIDDEN (nothing is
    disclosed that the caller did not bring)."""
    if (gate := _gate(persona, ownership)) or persona in CREDENTIALS:
        return gate
    if persona == "owner":
        return OK if ownership == "own" else 403 if ownership == "other_team" else None
    if persona == "write_key" and ownership == "own":
        return OK
    if persona == "read_key" and ownership == "own":
        return 403
    return None


@dataclass(frozen=True)
class Entry:
    """One REST route: its rule, the object in its path, and its body.

    ``target`` names the kind of object the path's parameters point at
    (``None``: nothing in the path). ``fresh``: each cell gets an object of
    its own, because a call that succeeds changes or destroys it.
    """

    rule: Rule
    target: str | None = None
    body: dict[str, object] | None = None
    fresh: bool = False


HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["generation.completed"]}
GEN = {"format": "email", "input": "Thank the team", "options": {"length": "short"}}
PRO = {"tier": "pro", "payment_method_id": "pm_card_visa"}
USE = {"variables": {"topic": "x"}, "options": {"length": "short"}}

REST: dict[tuple[str, str], Entry] = {
    # public
    ("GET", "/openapi.json"): Entry(public),
    ("GET", "/docs"): Entry(public),
    ("POST", "/auth/signup"): Entry(public, body={}),
    ("POST", "/auth/login"): Entry(public, body={}),
    ("POST", "/auth/refresh"): Entry(public, body={"refresh_token": "nope"}),
    ("POST", "/auth/logout"): Entry(public, body={"refresh_token": "nope"}),
    ("POST", "/auth/forgot-password"): Entry(public, body={}),
    ("POST", "/auth/reset-password"): Entry(public, body={}),
    ("GET", "/auth/oauth/{provider}"): Entry(public, target="provider"),
    ("GET", "/auth/oauth/{provider}/callback"): Entry(public, target="provider"),
    ("POST", "/billing/webhook"): Entry(public, body={}),
    # the caller's own account and lists
    ("GET", "/generate/history"): Entry(caller_read),
    ("GET", "/users/me"): Entry(caller_read),
    ("GET", "/users/me/api-keys"): Entry(caller_read),
    ("GET", "/teams"): Entry(caller_read),
    ("GET", "/templates"): Entry(caller_read),
    ("GET", "/notifications"): Entry(caller_read),
    ("GET", "/billing/subscription"): Entry(caller_read),
    ("GET", "/billing/invoices"): Entry(caller_read),
    ("GET", "/billing/usage"): Entry(caller_read),
    ("GET", "/webhooks"): Entry(caller_read),
    ("POST", "/generate"): Entry(caller_write, body=GEN),
    ("POST", "/generate/stream"): Entry(caller_write, body=GEN),
    ("POST", "/generate/batch"): Entry(caller_write, body={"batch": [GEN]}),
    ("PATCH", "/users/me"): Entry(caller_write, body={"bio": "hi"}),
    ("DELETE", "/users/me"): Entry(session_only, target="self", body={}, fresh=True),
    ("POST", "/users/me/api-keys"): Entry(caller_write, body={"name": "k"}),
    ("POST", "/teams"): Entry(caller_write, body={"name": "New team"}),
    ("POST", "/teams/join"): Entry(caller_write, target="join_code", fresh=True),
    ("POST", "/templates"): Entry(caller_write, body={"name": "t", "prompt": "p"}),
    ("POST", "/notifications/read-all"): Entry(caller_write),
    ("POST", "/billing/subscribe"): Entry(
        caller_write, target="self", body=PRO, fresh=True
    ),
    ("POST", "/billing/cancel"): Entry(
        caller_write, target="subscriber", body={}, fresh=True
    ),
    ("POST", "/webhooks"): Entry(caller_write, body=HOOK),
    # objects of one user
    ("GET", "/generate/batch/{id}"): Entry(owner_read, target="batch"),
    ("GET", "/exports/{filename}"): Entry(signed_link, target="export"),
    ("GET", "/webhooks/{id}"): Entry(owner_read, target="webhook"),
    ("GET", "/webhooks/{id}/deliveries"): Entry(owner_read, target="webhook"),
    ("DELETE", "/users/me/api-keys/{id}"): Entry(
        owner_write, target="api_key", fresh=True
    ),
    ("POST", "/users/me/api-keys/{id}/rotate"): Entry(
        owner_write, target="api_key", body={}, fresh=True
    ),
    ("POST", "/notifications/{id}/read"): Entry(owner_write, target="notification"),
    ("PATCH", "/webhooks/{id}"): Entry(
        owner_write, target="webhook", body={"description": "d"}
    ),
    ("DELETE", "/webhooks/{id}"): Entry(owner_write, target="webhook", fresh=True),
    ("POST", "/webhooks/{id}/test"): Entry(owner_write, target="webhook"),
    ("POST", "/webhooks/{id}/rotate-secret"): Entry(
        owner_write, target="webhook", body={}
    ),
    ("POST", "/webhooks/{id}/deliveries/{deliveryId}/redeliver"): Entry(
        owner_write, target="delivery"
    ),
    # generations: the author's, and their team's
    ("GET", "/generate/{id}"): Entry(team_member_read, target="generation"),
    ("GET", "/generate/stream/{generation_id}"): Entry(
        team_member_read, target="generation"
    ),
    ("POST", "/generate/{id}/export"): Entry(
        team_member_read, target="generation", body={"format": "markdown"}
    ),
    ("DELETE", "/generate/{id}"): Entry(
        team_admin_write, target="generation", fresh=True
    ),
    ("POST", "/generate/{id}/approve"): Entry(
        team_approver, target="pending", fresh=True
    ),
    ("POST", "/generate/{id}/reject"): Entry(
        team_approver, target="pending", fresh=True
    ),
    # templates: the author's, and their team's
    ("GET", "/templates/{id}"): Entry(team_member_read, target="template"),
    ("POST", "/templates/{id}/use"): Entry(
        team_viewer_use, target="template", body=USE
    ),
    ("POST", "/templates/{id}/rate"): Entry(
        team_viewer_rate, target="template", body={"rating": 4}
    ),
    ("PATCH", "/templates/{id}"): Entry(
        team_admin_write, target="template", body={"description": "d"}
    ),
    ("DELETE", "/templates/{id}"): Entry(
        team_admin_write, target="template", fresh=True
    ),
    # teams
    ("GET", "/teams/{id}"): Entry(team_read, target="team"),
    ("PATCH", "/teams/{id}"): Entry(
        team_admin, target="team", body={"description": "d"}
    ),
    ("POST", "/teams/{id}/invite"): Entry(
        team_admin, target="team", body={"email": "x@example.com", "role": "viewer"}
    ),
    ("DELETE", "/teams/{id}"): Entry(team_owner, target="team", fresh=True),
    ("POST", "/teams/{id}/transfer-ownership"): Entry(
        team_owner, target="team_with_member", fresh=True
    ),
    ("POST", "/teams/{id}/leave"): Entry(team_leave, target="team", fresh=True),
    ("PATCH", "/teams/{id}/members/{userId}"): Entry(
        team_member_manage, target="member", body={"role": "editor"}, fresh=True
    ),
    ("DELETE", "/teams/{id}/members/{userId}"): Entry(
        team_member_manage, target="member", fresh=True
    ),
    # invitations
    ("POST", "/invitations/{token}/accept"): Entry(
        invitee, target="invitation", fresh=True
    ),
    ("POST", "/invitations/{token}/decline"): Entry(
        invitee, target="invitation", fresh=True
    ),
}

# Root fields that no REST route runs, driven on /graphql over the same grid.
GRAPHQL: dict[str, tuple[Entry, str]] = {
    "generationEdit": (
        Entry(team_editor_write, target="generation", fresh=True),
        'mutation($id: ID!) { generationEdit(id: $id, content: "New") { id } }',
    ),
    "generationRegenerate": (
        Entry(team_editor_write, target="generation", fresh=True),
        "mutation($id: ID!) { generationRegenerate(id: $id) { id } }",
    ),
    "generationCancel": (
        Entry(team_editor_write, target="queued", fresh=True),
        "mutation($id: ID!) { generationCancel(id: $id) { id } }",
    ),
    "templateRender": (
        Entry(team_member_read, target="template"),
        'query($id: ID!) { templateRender(id: $id, variables: {topic: "x"})'
        " { __typename } }",
    ),
}

# GraphQL root fields. Most run behind a REST route (the table's documents),
# so the persona grid above drives them too; ``GRAPHQL`` says which rule each
# follows, for the credential gate and the foreign-id checks run on /graphql.
PUBLIC_FIELDS = frozenset(
    {
        "authProviders",
        "serverInfo",
        "authSignup",
        "authLogin",
        "authRefresh",
        "authLogout",
        "authPasswordResetRequest",
        "authPasswordReset",
    }
)

BY_ID: dict[str, str] = {
    # root field -> the kind of object its id argument names
    "generation": "generation",
    "team": "team",
    "template": "template",
    "templateRender": "template",
    "batch": "batch",
    "webhookEndpoint": "webhook",
    "webhookDeliveries": "webhook",
    "generationFollow": "generation",
    "generationEvents": "team",
    "generationCancel": "generation",
    "generationEdit": "generation",
    "generationRegenerate": "generation",
    "generationDelete": "generation",
    "generationExport": "generation",
    "generationApprove": "pending",
    "generationReject": "pending",
    "templateUpdate": "template",
    "templateDelete": "template",
    "templateRate": "template",
    "templateUse": "template",
    "teamUpdate": "team",
    "teamDelete": "team",
    "teamInvite": "team",
    "teamLeave": "team",
    "teamOwnershipTransfer": "team",
    "teamMemberRemove": "team",
    "teamMemberRoleUpdate": "team",
    "apiKeyDelete": "api_key",
    "apiKeyRotate": "api_key",
    "notificationMarkRead": "notification",
    "webhookEndpointUpdate": "webhook",
    "webhookEndpointDelete": "webhook",
    "webhookEndpointTest": "webhook",
    "webhookEndpointRotateSecret": "webhook",
    "webhookDeliveryRedeliver": "webhook",
}
"""Root fields that take another object's id: a foreign id answers NOT_FOUND.

The schema has no Relay ``node(id)``: these by-id fields are what it would
answer. Should one be added, the completeness test asks for its line here
(``"node": ...``), and the foreign-id test then runs it like the others."""

READ_MUTATIONS = frozenset({"generationExport"})
"""Mutations that only read (an export renders a generation the caller may
see into a download link): a read-only key may run them; every other
mutation refuses it."""

CALLER_FIELDS = frozenset(
    {
        # reads and changes of the caller's own account: no foreign id to pass
        "subscription",
        "invoices",
        "usage",
        "generations",
        "notifications",
        "teams",
        "templates",
        "me",
        "apiKeys",
        "apiKeyList",
        "webhookEndpoints",
        "batchCreate",
        "subscriptionCreate",
        "subscriptionCancel",
        "generate",
        "generationStart",
        "notificationMarkAllRead",
        "teamCreate",
        "teamJoin",
        "invitationAccept",
        "invitationDecline",
        "templateCreate",
        "meUpdate",
        "meDelete",
        "apiKeyCreate",
        "webhookEndpointCreate",
        "notificationReceived",
    }
)
"""Root fields scoped to the caller alone (lists filter by the caller)."""

EDGES: dict[tuple[str, str], str] = {
    # object-typed nested fields that reach data beyond the parent's owner,
    # and what guards them
    ("Team", "members"): "the team: only a member reads it",
    ("Team", "usage"): "the team: only a member reads it",
    ("TeamSummary", "owner"): "the caller's own teams list",
    ("Template", "author"): "a visible template: public, own or team-shared",
    ("Generation", "versions"): "a visible generation",
    ("Batch", "items"): "the caller's own batch",
    ("GenerateResult", "generation"): "the caller's own new generation",
    ("TemplateUsePayload", "generation"): "the caller's own new generation",
    ("TeamPayload", "team"): "a team the caller manages",
    ("TeamMemberPayload", "member"): "a team the caller manages",
    ("TeamInvitePayload", "invitation"): "a team the caller manages",
    ("GenerationApprovalPayload", "generation"): "a team the caller approves in",
    ("TemplatePayload", "template"): "a template the caller may change",
    ("AuthPayload", "user"): "the caller",
    ("MeUpdatePayload", "user"): "the caller",
    ("NotificationPayload", "notification"): "the caller's notification",
    ("GenerationPage", "generations"): "lists filter by the caller",
    ("TeamList", "teams"): "lists filter by the caller",
    ("TemplateList", "templates"): "lists filter by the caller",
    ("NotificationList", "notifications"): "lists filter by the caller",
    ("ApiKeyList", "apiKeys"): "lists filter by the caller",
    ("InvoiceList", "invoices"): "lists filter by the caller",
    ("WebhookEndpointPage", "items"): "lists filter by the caller",
    ("WebhookDeliveryPage", "items"): "an endpoint of the caller",
    ("SubscribePayload", "invoice"): "the caller's billing",
    ("SubscribePayload", "subscription"): "the caller's billing",
    ("CancelPayload", "subscription"): "the caller's billing",
    ("ApiKeyIssued", "apiKey"): "the caller's own new key",
}
"""Every object-typed field whose type carries an ``id`` (and two more that
carry a team's or a generation's data): the test walks the schema and fails
on one missing here or listed here and gone."""
