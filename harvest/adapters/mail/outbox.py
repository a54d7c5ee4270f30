"""Development mail: each message is a file in ``var/outbox/``."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from pathlib import Path

from models.base import new_id
from resolvers.ports import MailMessage

logger = logging.getLogger(__name__)


def to_email(
    message: MailMessage, sender: str = "Harvest <no-reply@harvest.local>"
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email


class OutboxMailer:
    """Writes ``.eml`` files; logs the file name, never the body."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: MailMessage) -> None:
        path = self.directory / f"{new_id('mail')}.eml"
        data = bytes(to_email(message))
        await asyncio.to_thread(self._write, path, data)
        logger.info("mail written to outbox", extra={"file": str(path)})

    def _write(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
