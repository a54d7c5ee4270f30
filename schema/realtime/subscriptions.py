"""The Subscription root's realtime fields; each listens through resolvers.

A subscription whose client falls too far behind is dropped by the hub (its
queue is bounded); the client then gets a SERVICE_UNAVAILABLE error saying
how to resume, and the operation completes.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import realtime
from resolvers.errors import ServiceUnavailable
from schema.context import Context
from schema.realtime.types import GenerationEvent, PushedNotification
from subscriptions.hub import SlowConsumer
from subscriptions.ws_protocol import start_generation


async def _listening(
    stream: AsyncIterator[dict[str, Any]],
) -> AsyncGenerator[dict[str, Any], None]:
    """``stream``'s messages; a listener dropped for falling behind is told
    how to go on."""
    try:
        async for message in stream:
            yield message
    except SlowConsumer as exc:
        raise ServiceUnavailable(
            f"Subscription dropped: more than {exc.queue_size} events were "
            "waiting for you. Subscribe again; for a generation, use "
            "generationFollow with `after` set to the last chunkIndex you got.",
            details={"reason": "slow_consumer", "queue_size": exc.queue_size},
        ) from exc


async def _events(
    stream: AsyncIterator[dict[str, Any]],
) -> AsyncGenerator[GenerationEvent, None]:
    async for event in _listening(stream):
        if event.get("type", "").startswith("generation_"):
            yield GenerationEvent.from_event(event)


@strawberry.type
class RealtimeSubscription:
    @strawberry.subscription(
        description=(
            "Start a generation and stream it: progress, chunks, then its end. "
            "`input` takes the same fields as POST /v1/generate (format, input, "
            "options, template_id, team_id, metadata)."
        )
    )
    async def generation_start(
        self,
        info: Info[Context, Any],
        input: Annotated[
            JSON,
            strawberry.argument(
                description="The generation request, as for POST /v1/generate."
            ),
        ],
    ) -> AsyncGenerator[GenerationEvent, None]:
        rc = info.context.rc
        generation_id = await start_generation(
            rc, dict(cast(dict[str, Any], input or {}))
        )
        stream = await realtime.follow_generation(rc, generation_id=generation_id)
        async for event in _events(stream):
            yield event

    @strawberry.subscription(
        description=(
            "Follow a generation by id until it ends. With `after`, the last "
            "chunkIndex you saw, missed chunks are sent first, each once."
        )
    )
    async def generation_follow(
        self,
        info: Info[Context, Any],
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The generation's id.")
        ],
        after: Annotated[
            int,
            strawberry.argument(
                description="The last chunkIndex received; -1 for all."
            ),
        ] = -1,
    ) -> AsyncGenerator[GenerationEvent, None]:
        stream = await realtime.follow_generation(
            info.context.rc, generation_id=str(id), after=after
        )
        async for event in _events(stream):
            yield event

    @strawberry.subscription(
        description=(
            "Lifecycle events (started, complete, error, cancelled) of your "
            "generations, or of a team's when `teamId` is given."
        )
    )
    async def generation_events(
        self,
        info: Info[Context, Any],
        team_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="A team you belong to."),
        ] = None,
    ) -> AsyncGenerator[GenerationEvent, None]:
        stream = await realtime.listen_generation_feed(
            info.context.rc, team_id=str(team_id) if team_id else None
        )
        async for event in _events(stream):
            yield event

    @strawberry.subscription(description="Your notifications, as they are created.")
    async def notification_received(
        self, info: Info[Context, Any]
    ) -> AsyncGenerator[PushedNotification, None]:
        async for message in _listening(realtime.listen_notifications(info.context.rc)):
            if message.get("type") == "notification":
                yield PushedNotification.from_payload(message["notification"])
