"""Choose the mailer for the settings."""

from __future__ import annotations

from harvest.adapters.mail.outbox import OutboxMailer
from harvest.settings import Settings
from resolvers.ports import Mailer


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_url:
        from harvest.adapters.mail.smtp import SmtpMailer

        return SmtpMailer(settings.smtp_url)
    return OutboxMailer(settings.outbox_dir)
