"""Mail over SMTP (``smtp://host:port``; ``smtps://`` for implicit TLS)."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import time
from urllib.parse import unquote, urlparse

from harvest.adapters.mail.outbox import to_email
from resolvers.ports import MailMessage

logger = logging.getLogger(__name__)


class SmtpMailer:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parsed = urlparse(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.tls = parsed.scheme == "smtps"
        self.port = parsed.port or (465 if self.tls else 25)
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.timeout = timeout

    async def send(self, message: MailMessage) -> None:
        started = time.perf_counter()
        await asyncio.to_thread(self._send, message)
        logger.info(
            "smtp send",
            extra={
                "provider": "smtp",
                "host": self.host,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    def _send(self, message: MailMessage) -> None:
        client_class = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with client_class(self.host, self.port, timeout=self.timeout) as client:
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(to_email(message))
