"""The spec's /v1 routes as facts (method, path), kept by the project itself.

``tests/rest_compat/test_inventory.py`` checks the REST table against this
list, and this list against the spec when ``../shared/spec`` is present.
"""

from __future__ import annotations

SPEC_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/auth/signup"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("POST", "/auth/forgot-password"),
    ("POST", "/auth/reset-password"),
    ("GET", "/auth/oauth/{provider}"),
    ("GET", "/auth/oauth/{provider}/callback"),
    ("POST", "/generate"),
    ("POST", "/generate/stream"),
    ("POST", "/generate/batch"),
    ("GET", "/generate/history"),
    ("GET", "/generate/{id}"),
    ("DELETE", "/generate/{id}"),
    ("POST", "/generate/{id}/export"),
    ("GET", "/users/me"),
    ("PATCH", "/users/me"),
    ("DELETE", "/users/me"),
    ("GET", "/users/me/api-keys"),
    ("POST", "/users/me/api-keys"),
    ("DELETE", "/users/me/api-keys/{id}"),
    ("GET", "/teams"),
    ("POST", "/teams"),
    ("GET", "/teams/{id}"),
    ("POST", "/teams/{id}/invite"),
    ("DELETE", "/teams/{id}/members/{userId}"),
    ("GET", "/templates"),
    ("POST", "/templates"),
    ("POST", "/templates/{id}/use"),
    ("GET", "/billing/subscription"),
    ("POST", "/billing/subscribe"),
    ("POST", "/billing/cancel"),
    ("GET", "/billing/invoices"),
    ("GET", "/billing/usage"),
)
