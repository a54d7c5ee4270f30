"""Checking that a webhook delivery really comes from Harvest.

Each delivery is signed twice: ``X-Harvest-Signature`` is the spec's
``sha256=<hex HMAC-SHA256 of the raw body>`` keyed with the secret string;
``webhook-signature`` is the Standard Webhooks ``v1,<base64>`` over
``{webhook-id}.{webhook-timestamp}.{body}``, which also bounds replays in time.
Always verify the raw bytes you received, before parsing them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping

from harvest_ai.errors import WebhookVerificationError
from harvest_ai.models import WebhookEvent

SIGNATURE_HEADER = "X-Harvest-Signature"
PREVIOUS_SIGNATURE_HEADER = "X-Harvest-Signature-Previous"
DEFAULT_TOLERANCE_SECONDS = 300


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def sign_payload(payload: bytes | str, secret: str) -> str:
    """The ``X-Harvest-Signature`` value for ``payload`` under ``secret``."""
    digest = hmac.new(secret.encode(), _bytes(payload), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(payload: bytes | str, signature: str | None, secret: str) -> bool:
    """Whether ``signature`` (``sha256=<hex>``) signs ``payload`` with ``secret``."""
    if not signature:
        return False
    expected = sign_payload(payload, secret)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def _standard_key(secret: str) -> bytes:
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return secret.encode()


def verify_standard_signature(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether the Standard Webhooks headers sign ``payload`` and are fresh."""
    lowered = {key.lower(): value for key, value in headers.items()}
    event_id = lowered.get("webhook-id")
    timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (event_id and timestamp and signatures):
        return False
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance_seconds:
        return False
    signed = f"{event_id}.{timestamp}.".encode() + _bytes(payload)
    digest = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
    expected = base64.b64encode(digest)
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(expected, value.encode()):
            return True
    return False


def construct_event(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> WebhookEvent:
    """The verified event of a delivery, or ``WebhookVerificationError``.

    Accepts the spec's signature (or, during a secret's rotation, the
    previous secret's) and, when the Standard Webhooks headers are present,
    also requires them to verify and be at most ``tolerance_seconds`` old.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    signed = verify_signature(
        payload, lowered.get(SIGNATURE_HEADER.lower()), secret
    ) or verify_signature(
        payload, lowered.get(PREVIOUS_SIGNATURE_HEADER.lower()), secret
    )
    if not signed:
        raise WebhookVerificationError(
            f"{SIGNATURE_HEADER} does not match: check the endpoint's secret"
        )
    if "webhook-signature" in lowered and not verify_standard_signature(
        payload, lowered, secret, tolerance_seconds=tolerance_seconds
    ):
        raise WebhookVerificationError(
            "webhook-signature does not match or webhook-timestamp is too old"
        )
    try:
        return WebhookEvent.model_validate(json.loads(payload))
    except ValueError as exc:
        raise WebhookVerificationError("The payload is not a webhook event") from exc
