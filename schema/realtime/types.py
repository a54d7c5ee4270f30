"""Types the realtime subscriptions yield."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from schema.scalars import _parse_datetime


@strawberry.enum(description="What happened to a generation.")
class GenerationEventType(Enum):
    started = "generation_started"
    progress = "generation_progress"
    chunk = "generation_chunk"
    complete = "generation_complete"
    error = "generation_error"
    cancelled = "generation_cancelled"


@strawberry.type(description="Why a generation failed.")
class GenerationEventError:
    code: str = strawberry.field(description="An error code from the spec's table.")
    message: str = strawberry.field(description="What went wrong, for people.")
    retry_after: int | None = strawberry.field(
        default=None, description="Seconds to wait before trying again, if known."
    )


@strawberry.type(
    description=(
        "One event of a generation's stream. Which fields are set depends on "
        "`type`: chunks carry `chunk` and `chunkIndex`, progress `progress`, "
        "the end `content` (complete) or `error`."
    )
)
class GenerationEvent:
    type: GenerationEventType = strawberry.field(description="The kind of event.")
    generation_id: strawberry.ID = strawberry.field(
        description="The generation this event belongs to."
    )
    chunk: str | None = strawberry.field(
        default=None, description="A piece of the answer (chunk events)."
    )
    chunk_index: int | None = strawberry.field(
        default=None,
        description=(
            "The chunk's 0-based position; pass the last one seen as `after` to resume."
        ),
    )
    tokens: int | None = strawberry.field(
        default=None, description="Tokens in this chunk (an estimate)."
    )
    progress: int | None = strawberry.field(
        default=None, description="Percent done (progress events)."
    )
    estimated_remaining_seconds: int | None = strawberry.field(
        default=None, description="Seconds left, estimated (progress events)."
    )
    content: str | None = strawberry.field(
        default=None, description="The whole answer (complete events)."
    )
    tokens_used: int | None = strawberry.field(
        default=None, description="Tokens the generation used (complete events)."
    )
    processing_time_ms: int | None = strawberry.field(
        default=None, description="How long the generation took (complete events)."
    )
    word_count: int | None = strawberry.field(
        default=None, description="Words in the answer (complete events)."
    )
    error: GenerationEventError | None = strawberry.field(
        default=None, description="Why it failed (error events)."
    )

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> GenerationEvent:
        error = event.get("error")
        return cls(
            type=GenerationEventType(event["type"]),
            generation_id=strawberry.ID(str(event.get("generation_id") or "")),
            chunk=event.get("chunk"),
            chunk_index=event.get("chunk_index"),
            tokens=event.get("tokens"),
            progress=event.get("progress"),
            estimated_remaining_seconds=event.get("estimated_remaining_seconds"),
            content=event.get("content"),
            tokens_used=event.get("tokens_used"),
            processing_time_ms=event.get("processing_time_ms"),
            word_count=event.get("word_count"),
            error=GenerationEventError(
                code=str(error.get("code")),
                message=str(error.get("message")),
                retry_after=error.get("retry_after"),
            )
            if isinstance(error, dict)
            else None,
        )


@strawberry.type(description="A notification pushed to the user as it is created.")
class PushedNotification:
    id: strawberry.ID = strawberry.field(description="The notification's id.")
    type: str = strawberry.field(description="Its kind, e.g. team_invite.")
    title: str = strawberry.field(description="A short title.")
    message: str = strawberry.field(description="The text to show.")
    action_url: str | None = strawberry.field(
        description="Where the user can act on it, if anywhere."
    )
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> PushedNotification:
        return cls(
            id=strawberry.ID(payload["id"]),
            type=payload["type"],
            title=payload["title"],
            message=payload.get("message") or "",
            action_url=payload.get("action_url"),
            created_at=_parse_datetime(payload["created_at"]),
        )
