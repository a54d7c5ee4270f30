"""Exports: a signed, expiring link to a generation as a file.

The link names the generation and the file format, and carries the options,
the expiry and an HMAC of all of them made with the server's secret key.
Whoever holds the link may download the file until it expires (like a CDN
link); a link that has expired or whose signature does not match is refused.
Files are rendered when downloaded, so nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from models.base import utcnow
from models.generation import Generation
from resolvers.context import AppConfig, RequestContext
from resolvers.errors import Conflict, Forbidden, NotFound, ValidationFailed
from resolvers.generation import load_generation
from resolvers.generation_documents import render

EXPORT_TTL = timedelta(hours=24)

EXTENSIONS = {
    "pdf": "pdf",
    "markdown": "md",
    "html": "html",
    "txt": "txt",
    "docx": "docx",
}
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
FORMAT_OF_EXTENSION = {ext: fmt for fmt, ext in EXTENSIONS.items()}


@dataclass(frozen=True)
class ExportLink:
    url: str
    expires_at: datetime
    format: str


@dataclass(frozen=True)
class ExportFile:
    body: bytes
    media_type: str
    filename: str


def _signature(secret: str, filename: str, flags: str, expires: int) -> str:
    message = f"export|{filename}|{flags}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _flags(include_metadata: bool, watermark: bool) -> str:
    return ("m" if include_metadata else "") + ("w" if watermark else "")


def sign_export_url(
    config: AppConfig,
    *,
    generation_id: str,
    format: str,
    include_metadata: bool,
    watermark: bool,
    now: datetime | None = None,
) -> ExportLink:
    """The download link on the public URL, valid for 24 hours."""
    expires_at = (now or utcnow()) + EXPORT_TTL
    expires = int(expires_at.timestamp())
    filename = f"{generation_id}.{EXTENSIONS[format]}"
    flags = _flags(include_metadata, watermark)
    query = urlencode(
        {
            "options": flags,
            "expires": expires,
            "signature": _signature(config.secret_key, filename, flags, expires),
        }
    )
    url = f"{config.public_url.rstrip('/')}/v1/exports/{filename}?{query}"
    return ExportLink(
        url=url, expires_at=datetime.fromtimestamp(expires, UTC), format=format
    )


async def export_generation(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    generation_id: str,
    format: str,
    include_metadata: bool = False,
    watermark: bool = False,
) -> ExportLink:
    """A signed link to the generation as a file (the caller must see it)."""
    ctx.require_principal()
    if format not in EXTENSIONS:
        raise ValidationFailed(
            field="format", reason="must be one of " + ", ".join(EXTENSIONS)
        )
    row = await load_generation(session, ctx=ctx, generation_id=generation_id)
    if row.status != "completed":
        raise Conflict(
            "Only a completed generation can be exported",
            details={"generation_id": row.id, "status": row.status},
        )
    return sign_export_url(
        ctx.config,
        generation_id=row.id,
        format=format,
        include_metadata=include_metadata,
        watermark=watermark,
    )


def verify_export(
    config: AppConfig,
    *,
    filename: str,
    flags: str,
    expires: str,
    signature: str,
    now: datetime | None = None,
) -> tuple[str, str]:
    """The generation id and format of a valid link; FORBIDDEN otherwise."""
    if not expires.isdigit() or not re.fullmatch(r"m?w?", flags):
        raise Forbidden("This export link is invalid", details={"reason": "malformed"})
    expected = _signature(config.secret_key, filename, flags, int(expires))
    if not hmac.compare_digest(expected, signature):
        raise Forbidden(
            "This export link is invalid: its signature does not match",
            details={"reason": "invalid_signature"},
        )
    if int(expires) <= int((now or utcnow()).timestamp()):
        raise Forbidden(
            "This export link has expired: export the generation again",
            details={"reason": "expired"},
        )
    generation_id, _, extension = filename.rpartition(".")
    if extension not in FORMAT_OF_EXTENSION or not generation_id:
        raise Forbidden("This export link is invalid", details={"reason": "malformed"})
    return generation_id, FORMAT_OF_EXTENSION[extension]


async def open_export(
    session: AsyncSession,
    *,
    config: AppConfig,
    filename: str,
    flags: str,
    expires: str,
    signature: str,
) -> ExportFile:
    """Render the file a valid link points at."""
    generation_id, format = verify_export(
        config, filename=filename, flags=flags, expires=expires, signature=signature
    )
    row = await session.get(Generation, generation_id)
    if row is None:
        raise NotFound("Generation not found", details={"generation_id": generation_id})
    body = render(row, format, include_metadata="m" in flags, watermark="w" in flags)
    return ExportFile(body=body, media_type=MEDIA_TYPES[format], filename=filename)
