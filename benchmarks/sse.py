"""Streaming clients for the SSE benchmarks: Harvest's ``/v1/generate/stream``
read with aiohttp as bytes arrive, and the openai SDK straight to the model
server; both report when each content chunk arrived."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import aiohttp
import openai
import orjson

from benchmarks.stage import PEER_MODEL

MESSAGES = [{"role": "user", "content": "Write a blog post about renewable energy."}]


@dataclass
class Stream:
    """Arrival times (perf_counter seconds) of one stream's content chunks."""

    started: float
    chunks: list[float] = field(default_factory=list)
    keepalives: list[float] = field(default_factory=list)
    ended: bool = False
    status: int = 200

    @property
    def first(self) -> float:
        return self.chunks[0] - self.started

    @property
    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.chunks, self.chunks[1:], strict=False)]


async def harvest_stream(
    session: aiohttp.ClientSession,
    base: str,
    token: str,
    *,
    model: str = PEER_MODEL,
) -> Stream:
    body = {"format": "blog", "input": "renewable energy", "options": {"model": model}}
    stream = Stream(time.perf_counter())
    async with session.post(
        f"{base}/v1/generate/stream",
        data=orjson.dumps(body),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    ) as response:
        stream.status = response.status
        if response.status != 200:
            await response.read()
            return stream
        pending = b""
        async for data in response.content.iter_any():
            now = time.perf_counter()
            pending += data
            *events, pending = pending.split(b"\n\n")
            for event in events:
                if event.startswith(b":"):
                    stream.keepalives.append(now)
                elif event.startswith(b"event: progress"):
                    stream.chunks.append(now)
                elif event.startswith((b"event: complete", b"event: error")):
                    stream.ended = event.startswith(b"event: complete")
    return stream


async def direct_stream(
    client: openai.AsyncOpenAI, *, model: str = PEER_MODEL
) -> Stream:
    stream = Stream(time.perf_counter())
    events = await client.chat.completions.create(
        model=model,
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    async for event in events:
        if event.choices and event.choices[0].delta.content:
            stream.chunks.append(time.perf_counter())
    stream.ended = True
    return stream


def sdk_client(peer_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key="sk-bench", base_url=peer_url, max_retries=0)
