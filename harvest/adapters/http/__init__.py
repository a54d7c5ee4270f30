"""Outbound HTTP: the webhook sender."""

from __future__ import annotations

from harvest.adapters.http.webhooks import HttpxWebhookTransport

__all__ = ["HttpxWebhookTransport"]
