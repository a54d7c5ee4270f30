"""Server-Sent Events of ``POST /generate/stream``, read as chunks of text.

The server sends ``start`` (the generation id), ``progress`` (a chunk, with
its index as the event id), then ``complete``, ``error`` or ``cancelled``. A
stream cut after ``start`` is resumed with ``GET /generate/stream/{id}`` and
``Last-Event-ID``, so no chunk is lost or repeated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harvest_ai.errors import APIError, error_from_envelope
from harvest_ai.models import StreamChunk, StreamSummary


@dataclass
class SSEEvent:
    event: str = "message"
    data: str = ""
    id: str | None = None


@dataclass
class SSEDecoder:
    """Turns the lines of an event stream into events (the WHATWG rules)."""

    _event: str = ""
    _data: list[str] = field(default_factory=list)
    _id: str | None = None

    def feed(self, line: str) -> SSEEvent | None:
        """Take one line (without its end); an event when a blank line ends it."""
        if not line:
            if not self._data and not self._event:
                return None
            event = SSEEvent(self._event or "message", "\n".join(self._data), self._id)
            self._event, self._data, self._id = "", [], None
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None


@dataclass
class StreamState:
    """What a stream has seen so far, and what each event means."""

    generation_id: str | None = None
    last_event_id: str | None = None
    summary: StreamSummary | None = None
    cancelled: bool = False
    done: bool = False

    def handle(self, event: SSEEvent) -> StreamChunk | None:
        """The chunk this event carries, if any; raises on ``error``."""
        data = _json(event.data)
        if event.event == "start":
            self.generation_id = data.get("generation_id") or self.generation_id
            return None
        if event.event == "progress":
            if event.id is not None:
                self.last_event_id = event.id
            return StreamChunk(
                text=str(data.get("chunk", "")),
                index=int(event.id) if event.id and event.id.isdigit() else None,
                tokens=data.get("tokens"),
                generation_id=self.generation_id,
            )
        if event.event == "complete":
            self.done = True
            self.summary = StreamSummary.model_validate(
                {"generation_id": self.generation_id, **data}
            )
            return None
        if event.event == "cancelled":
            self.done = self.cancelled = True
            return None
        if event.event == "error":
            self.done = True
            raise self.error(data)
        return None

    def error(self, data: dict[str, Any]) -> APIError:
        raw = data.get("details")
        details: dict[str, Any] = raw if isinstance(raw, dict) else {}
        return error_from_envelope(
            {**data, "details": {"generation_id": self.generation_id, **details}}
        )


def _json(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
