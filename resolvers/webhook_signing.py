"""Webhook secrets and signatures, in the spec's scheme and in Standard Webhooks'.

- ``X-Harvest-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body, keyed with
  the secret exactly as shown to the user (the whole ``whsec_...`` string), as
  the spec's verification snippet does.
- ``webhook-signature: v1,<base64>``: HMAC-SHA256 of ``{webhook-id}.{timestamp}.
  {body}``, keyed with the secret's bytes (the base64 after ``whsec_``), so the
  Standard Webhooks libraries verify it as is.

During a rotation's overlap both secrets sign: ``webhook-signature`` carries two
space-separated signatures and ``X-Harvest-Signature-Previous`` the old one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def derived_secret(server_key: str, purpose: str) -> str:
    """A signing secret derived from the server's key (used for batch URLs)."""
    raw = hmac.new(server_key.encode(), purpose.encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def secret_bytes(secret: str) -> bytes:
    """The key Standard Webhooks signs with: the decoded part after the prefix."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def harvest_signature(secret: str, body: bytes) -> str:
    """The spec's ``sha256=<hex>`` signature of the raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def standard_signature(
    secret: str, message_id: str, timestamp: int, body: bytes
) -> str:
    """One ``v1,<base64>`` entry of the Standard Webhooks signature header."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(
    secrets_in_use: Sequence[str],
    *,
    message_id: str,
    timestamp: int,
    body: bytes,
) -> dict[str, str]:
    """Signature headers for ``body``: the current secret first, then any
    previous one still inside its overlap window."""
    current, *previous = secrets_in_use
    headers = {
        "X-Harvest-Signature": harvest_signature(current, body),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            standard_signature(s, message_id, timestamp, body) for s in secrets_in_use
        ),
    }
    if previous:
        headers["X-Harvest-Signature-Previous"] = harvest_signature(previous[0], body)
    return headers
