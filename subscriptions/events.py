"""The events published on a generation's channel, built in one place.

Their shapes are the spec's WebSocket messages, so the WebSocket protocol can
forward them as they are; Server-Sent Events and GraphQL subscriptions
reshape them. Every event names its generation. Chunks carry a 0-based
``chunk_index`` that increases by one per chunk; joined in that order, their
``chunk`` texts are the stored content.
"""

from __future__ import annotations

from typing import Any

STARTED = "generation_started"
CHUNK = "generation_chunk"
PROGRESS = "generation_progress"
COMPLETE = "generation_complete"
ERROR = "generation_error"
CANCELLED = "generation_cancelled"

TERMINAL = frozenset({COMPLETE, ERROR, CANCELLED})

CANCEL = "cancel"


def started(
    generation_id: str, *, model: str, format: str, version: int
) -> dict[str, Any]:
    """The runner has begun calling the model."""
    return {
        "type": STARTED,
        "generation_id": generation_id,
        "model": model,
        "format": format,
        "version": version,
    }


def chunk(generation_id: str, *, index: int, text: str, tokens: int) -> dict[str, Any]:
    """One piece of the answer."""
    return {
        "type": CHUNK,
        "generation_id": generation_id,
        "chunk": text,
        "chunk_index": index,
        "tokens": tokens,
    }


def progress(
    generation_id: str, *, percent: int, estimated_remaining_seconds: int
) -> dict[str, Any]:
    """How far along the answer is, by its expected length."""
    return {
        "type": PROGRESS,
        "generation_id": generation_id,
        "progress": percent,
        "estimated_remaining_seconds": estimated_remaining_seconds,
    }


def complete(
    generation_id: str,
    *,
    content: str,
    tokens_used: int,
    processing_time_ms: int,
    word_count: int,
    version: int,
) -> dict[str, Any]:
    """The answer is stored; ``content`` is all of it."""
    return {
        "type": COMPLETE,
        "generation_id": generation_id,
        "content": content,
        "tokens_used": tokens_used,
        "processing_time_ms": processing_time_ms,
        "word_count": word_count,
        "version": version,
    }


def error(generation_id: str, *, code: str, message: str) -> dict[str, Any]:
    """The generation failed; ``code`` is from the spec's error table."""
    return {
        "type": ERROR,
        "generation_id": generation_id,
        "error": {"code": code, "message": message},
    }


def cancelled(generation_id: str) -> dict[str, Any]:
    """The generation was cancelled before it finished."""
    return {"type": CANCELLED, "generation_id": generation_id}


def cancel_request(generation_id: str, *, by: str) -> dict[str, Any]:
    """A control message asking the runner, wherever it runs, to stop."""
    return {"type": CANCEL, "generation_id": generation_id, "by": by}


def is_terminal(event: dict[str, Any]) -> bool:
    """Whether ``event`` ends its generation's stream."""
    return event.get("type") in TERMINAL
