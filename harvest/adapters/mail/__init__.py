"""Mail: SMTP when HARVEST_SMTP_URL is set, files in var/outbox otherwise."""

from __future__ import annotations

from harvest.adapters.mail.base import make_mailer

__all__ = ["make_mailer"]
