"""An OpenAI-compatible chat completions server on loopback, for tests.

It speaks real HTTP and real Server-Sent Events. What it does depends on the
model asked for:

- ``peer-echo``: answers ``ANSWER`` (streamed word by word when asked to
  stream; the usage chunk follows when ``stream_options.include_usage``);
- ``peer-error``: 500 with an error body;
- ``peer-ratelimit``: 429;
- ``peer-slow``: waits ``SLOW_SECONDS`` before answering;
- ``peer-stall``: streams two chunks, then stalls ``stall_seconds`` (the
  peer's attribute, ``SLOW_SECONDS`` unless a test sets it), then goes on;
- ``peer-filter``: refuses with ``content_filter`` (400 when not streaming,
  a ``finish_reason`` when streaming);
- ``peer-empty``: a malformed answer, without ``choices``;
- ``peer-paced``: streams ``PACED_ANSWER`` a word every ``PACED_SECONDS``, so
  a generation is still running seconds after it started.

Every request body and its Authorization header are kept in ``requests``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support import free_port

ANSWER = "Solar and wind keep getting cheaper, and storage is catching up."
PROMPT_TOKENS = 21
COMPLETION_TOKENS = 13
SLOW_SECONDS = 5.0
PACED_ANSWER = " ".join([ANSWER] * 3)
PACED_SECONDS = 0.1


def _completion_id() -> str:
    return "chatcmpl-peer"


def _usage() -> dict[str, int]:
    return {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": COMPLETION_TOKENS,
        "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": _completion_id(),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def _error(status: int, message: str, code: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "server_error", "code": code}},
        status_code=status,
    )


class OpenAIPeer:
    """The server, run by uvicorn in a thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.requests: list[dict[str, Any]] = []
        self.stall_seconds = SLOW_SECONDS
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    async def completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(
            {"body": body, "authorization": request.headers.get("authorization")}
        )
        model = body.get("model", "")
        if model == "peer-error":
            return _error(500, "the upstream broke")
        if model == "peer-ratelimit":
            return _error(429, "slow down", "rate_limit_exceeded")
        if model == "peer-slow":
            await asyncio.sleep(SLOW_SECONDS)
        if model == "peer-filter" and not body.get("stream"):
            return _error(400, "refused by policy", "content_filter")
        if body.get("stream"):
            return StreamingResponse(
                self._stream(model, body), media_type="text/event-stream"
            )
        return JSONResponse(
            {
                "id": _completion_id(),
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": ANSWER},
                        "finish_reason": "stop",
                    }
                ],
                "usage": _usage(),
            }
        )

    async def _stream(self, model: str, body: dict[str, Any]) -> AsyncIterator[bytes]:
        if model == "peer-empty":
            malformed = {"id": _completion_id(), "object": "chat.completion.chunk"}
            yield b"data: " + json.dumps(malformed).encode() + b"\n\n"
            yield b"data: [DONE]\n\n"
            return
        yield _chunk(model, {"role": "assistant", "content": ""})
        paced = model == "peer-paced"
        words = (PACED_ANSWER if paced else ANSWER).split(" ")
        for index, word in enumerate(words):
            if model == "peer-stall" and index == 2:
                await asyncio.sleep(self.stall_seconds)
            text = word if index == 0 else " " + word
            yield _chunk(model, {"content": text})
            await asyncio.sleep(PACED_SECONDS if paced else 0.005)
        finish = "content_filter" if model == "peer-filter" else "stop"
        yield _chunk(model, {}, finish)
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {
                "id": _completion_id(),
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [],
                "usage": _usage(),
            }
            yield b"data: " + json.dumps(usage).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    def start(self) -> None:
        app = Starlette(
            routes=[Route("/v1/chat/completions", self.completions, methods=["POST"])]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the OpenAI peer did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)


@contextmanager
def running_openai_peer() -> Iterator[OpenAIPeer]:
    """An OpenAI-compatible server for the duration of the block."""
    peer = OpenAIPeer()
    peer.start()
    try:
        yield peer
    finally:
        peer.stop()
