"""Idempotency keys: one POST per key and caller, its response kept 24 hours.

A request carrying ``Idempotency-Key`` first claims the key (an insert that
the unique ``(principal_id, key)`` constraint lets exactly one request win).
The winner runs and stores its response; later requests with the same key:

- the same request (method, path, query and body): the stored status and body
  are replayed, and nothing runs again;
- a different request: VALIDATION_ERROR naming the header (the key was reused
  by mistake; a new key is the fix, retrying is not);
- while the first still runs: CONFLICT (retry after it finishes).

Responses that say nothing about the outcome are not kept: a 5xx (the work
may not have happened) and a 429 (it did not run). The key is then free for
a retry. A claim left by a process that died is taken over after ten minutes.

A credential in a kept response (a new API key, a webhook signing secret, a
token pair) is shown once, like everywhere else: it is not stored with the
response, and a replay carries ``null`` in its place. The one side effect still
holds; a caller who lost the first answer rotates the credential.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.idempotency import IdempotencyRecord
from resolvers.errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
STALE_CLAIM_AFTER = timedelta(minutes=10)
MAX_KEY_LENGTH = 255
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
BASE64_MARK = "x-harvest-body-encoding"
CREDENTIAL_FIELDS = frozenset(
    {
        "secret",
        "webhook_secret",
        "webhookSecret",
        "access_token",
        "accessToken",
        "refresh_token",
        "refreshToken",
    }
)
CREDENTIAL_PREFIXES = ("hv_", "whsec_")
MASK = "..."


@dataclass(frozen=True)
class StoredResponse:
    """A response as it is kept and replayed."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_kept(self) -> bool:
        """Whether this response settles the request (see the module doc)."""
        return self.status < 500 and self.status != 429


@dataclass(frozen=True)
class Claim:
    """The right to run the request: its record, to complete or release."""

    record_id: str


def check_key(key: str) -> str:
    """The key if it is usable, or VALIDATION_ERROR naming the header."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii():
        raise ValidationFailed(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} ASCII characters",
            field=HEADER,
            reason="invalid_key",
        )
    if not key.isprintable():
        raise ValidationFailed(
            f"{HEADER} must not contain control characters",
            field=HEADER,
            reason="invalid_key",
        )
    return key


def fingerprint(*, method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests the same request."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(part + b"\n")
    digest.update(body)
    return digest.hexdigest()


async def claim_key(
    session: AsyncSession, *, owner: str, key: str, request_hash: str
) -> Claim | StoredResponse:
    """Claim ``key`` for ``owner``, or the stored response to replay.

    Raises:
        ValidationFailed: the key was used for a different request.
        Conflict: the first request with this key is still running.
    """
    now = utcnow()
    record = IdempotencyRecord(
        principal_id=owner,
        key=key,
        request_hash=request_hash,
        status=IN_PROGRESS,
        created_at=now,
        expires_at=now + KEEP_FOR,
    )
    session.add(record)
    try:
        await session.commit()
        return Claim(record.id)
    except IntegrityError:
        await session.rollback()

    existing = (
        await session.execute(
            select(IdempotencyRecord).where(
                col(IdempotencyRecord.principal_id) == owner,
                col(IdempotencyRecord.key) == key,
            )
        )
    ).scalar_one_or_none()
    if existing is None:
        raise _still_running()
    if _is_abandoned(existing):
        return await _take_over(session, existing, request_hash=request_hash)
    if existing.request_hash != request_hash:
        raise ValidationFailed(
            f"This {HEADER} was already used for a different request: "
            "send a new key for a new request",
            field=HEADER,
            reason="key_reused",
        )
    if existing.status == IN_PROGRESS:
        raise _still_running()
    return _stored(existing)


async def complete_key(
    session: AsyncSession, *, claim: Claim, response: StoredResponse
) -> None:
    """Keep ``response`` for replays, or free the key when it is not kept."""
    if not response.is_kept:
        await release_key(session, claim=claim)
        return
    headers = dict(response.headers)
    kept = without_credentials(response.body, headers.get("content-type", ""))
    try:
        body = kept.decode()
    except UnicodeDecodeError:
        body = base64.b64encode(kept).decode()
        headers[BASE64_MARK] = "base64"
    await session.execute(
        sa.update(IdempotencyRecord)
        .where(col(IdempotencyRecord.id) == claim.record_id)
        .values(
            status=COMPLETED,
            response_status=response.status,
            response_headers=headers,
            response_body=body,
        )
    )
    await session.commit()


def without_credentials(body: bytes, content_type: str) -> bytes:
    """``body`` with every credential it shows replaced by null (JSON only)."""
    if not content_type.startswith("application/json"):
        return body
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    return orjson.dumps(_blank_credentials(document))


def _blank_credentials(value: Any, name: str = "") -> Any:
    if isinstance(value, Mapping):
        return {key: _blank_credentials(item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_blank_credentials(item) for item in value]
    if isinstance(value, str) and _is_credential(name, value):
        return None
    return value


def _is_credential(name: str, value: str) -> bool:
    if name in CREDENTIAL_FIELDS:
        return True
    return value.startswith(CREDENTIAL_PREFIXES) and MASK not in value


async def release_key(session: AsyncSession, *, claim: Claim) -> None:
    """Free the key (the request failed in a way a retry should redo)."""
    await session.execute(
        sa.delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == claim.record_id)
    )
    await session.commit()


async def purge_expired_keys(session: AsyncSession) -> int:
    """Delete records past their 24 hours; returns how many went."""
    result = await session.execute(
        sa.delete(IdempotencyRecord).where(
            col(IdempotencyRecord.expires_at) <= utcnow()
        )
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def _still_running() -> Conflict:
    return Conflict(
        f"A request with this {HEADER} is still running: retry once it has finished",
        details={"field": HEADER, "reason": "in_progress"},
        headers={"Retry-After": "1"},
    )


def _is_abandoned(record: IdempotencyRecord) -> bool:
    now = utcnow()
    if record.expires_at <= now:
        return True
    return record.status == IN_PROGRESS and (
        record.created_at <= now - STALE_CLAIM_AFTER
    )


async def _take_over(
    session: AsyncSession, record: IdempotencyRecord, *, request_hash: str
) -> Claim:
    """Reuse an expired or abandoned record; only one taker can win it."""
    now = utcnow()
    result = await session.execute(
        sa.update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.id) == record.id,
            col(IdempotencyRecord.created_at) == record.created_at,
        )
        .values(
            request_hash=request_hash,
            status=IN_PROGRESS,
            response_status=None,
            response_headers={},
            response_body="",
            created_at=now,
            expires_at=now + KEEP_FOR,
        )
    )
    await session.commit()
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        raise _still_running()
    return Claim(record.id)


def _stored(record: IdempotencyRecord) -> StoredResponse:
    headers = dict(record.response_headers or {})
    if headers.pop(BASE64_MARK, None) == "base64":
        body = base64.b64decode(record.response_body)
    else:
        body = record.response_body.encode()
    return StoredResponse(
        status=record.response_status or 200, body=body, headers=headers
    )
