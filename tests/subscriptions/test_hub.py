"""The hub on its own: bounded fan-out, the chunk log, resuming, leases."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from subscriptions import channels
from subscriptions.chunk_log import MemoryChunkLog
from subscriptions.hub import Hub, SlowConsumer

REDIS_URL = os.environ.get("HARVEST_TEST_REDIS_URL") or None


@pytest.fixture(params=["memory", "redis"])
async def hub(request: pytest.FixtureRequest) -> AsyncIterator[Hub]:
    if request.param == "redis" and REDIS_URL is None:
        pytest.skip("HARVEST_TEST_REDIS_URL is not set")
    url = REDIS_URL if request.param == "redis" else None
    instance = Hub(url, queue_size=8)
    await instance.connect()
    yield instance
    await instance.disconnect()


def chunk(generation_id: str, index: int) -> dict[str, Any]:
    return {
        "type": "generation_chunk",
        "generation_id": generation_id,
        "chunk": f"c{index} ",
        "chunk_index": index,
        "tokens": 1,
    }


def complete(generation_id: str) -> dict[str, Any]:
    return {"type": "generation_complete", "generation_id": generation_id}


async def test_slow_consumer_is_dropped_while_others_receive_everything(
    hub: Hub,
) -> None:
    channel = "test:fanout"
    received: list[int] = []

    async with hub.subscribe(channel) as slow, hub.subscribe(channel) as fast:

        async def drain() -> None:
            async for message in fast:
                received.append(message["n"])
                if message["n"] == 19:
                    return

        reader = asyncio.create_task(drain())
        for n in range(20):
            await hub.publish(channel, {"n": n})
            await asyncio.sleep(0.005)
        await asyncio.wait_for(reader, 5)

        with pytest.raises(SlowConsumer):
            await slow.get()
        assert slow.pending == 1

    assert received == list(range(20))


async def test_follow_generation_replays_missed_chunks_then_live_ones(
    hub: Hub,
) -> None:
    generation_id = "gen_hubtest" + os.urandom(4).hex()
    channel = channels.generation(generation_id)
    for index in range(5):
        await hub.publish(channel, chunk(generation_id, index))
    seen: list[int] = []

    async def follow() -> None:
        async for message in hub.follow_generation(generation_id, after=1):
            seen.append(message.get("chunk_index", -1))

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.1)
    for index in range(5, 9):
        await hub.publish(channel, chunk(generation_id, index))
    await hub.publish(channel, complete(generation_id))
    await asyncio.wait_for(task, 5)

    assert seen == [2, 3, 4, 5, 6, 7, 8, -1]


async def test_followers_joining_while_chunks_are_published_see_each_once(
    hub: Hub,
) -> None:
    generation_id = "gen_hubrace" + os.urandom(4).hex()
    channel = channels.generation(generation_id)
    total = 120
    published = 0

    async def follow(after: int) -> list[int]:
        seen = []
        async for message in hub.follow_generation(generation_id, after=after):
            seen.append(message.get("chunk_index", -1))
        return seen

    async def publish_all() -> None:
        nonlocal published
        for index in range(total):
            await hub.publish(channel, chunk(generation_id, index))
            published = index + 1
            await asyncio.sleep(0)
        await hub.publish(channel, complete(generation_id))

    publisher = asyncio.create_task(publish_all())
    followers = []
    joined_at = -4
    while not publisher.done():
        if published - joined_at >= 4:
            # Joins mid-stream, resuming from a chunk it may or may not have.
            joined_at = published
            after = max(-1, published - 3 - len(followers) % 5)
            followers.append((after, asyncio.create_task(follow(after))))
        await asyncio.sleep(0)
    results = [(after, await asyncio.wait_for(task, 10)) for after, task in followers]

    assert len(results) > 10
    for after, seen in results:
        assert seen == [*range(after + 1, total), -1], after


async def test_follow_generation_after_the_end_reads_only_the_log(hub: Hub) -> None:
    generation_id = "gen_hubdone" + os.urandom(4).hex()
    channel = channels.generation(generation_id)
    for index in range(3):
        await hub.publish(channel, chunk(generation_id, index))
    await hub.publish(channel, complete(generation_id))

    events = [m async for m in hub.follow_generation(generation_id, after=0)]

    assert [m["type"] for m in events] == [
        "generation_chunk",
        "generation_chunk",
        "generation_complete",
    ]
    assert [m.get("chunk_index") for m in events[:2]] == [1, 2]


async def test_follow_generation_asks_for_the_end_when_the_log_is_empty(
    hub: Hub,
) -> None:
    async def load_end() -> dict[str, Any]:
        return {"type": "generation_complete", "content": "stored"}

    events = [m async for m in hub.follow_generation("gen_unknown", load_end=load_end)]

    assert events == [{"type": "generation_complete", "content": "stored"}]


async def test_memory_log_keeps_a_bounded_number_of_generations() -> None:
    log = MemoryChunkLog(max_generations=3)

    for n in range(10):
        await log.append(f"gen_{n}", chunk(f"gen_{n}", 0))

    assert len(log) == 3
    assert not (await log.read("gen_0", after=-1)).found
    assert (await log.read("gen_9", after=-1)).found


async def test_memory_log_forgets_a_finished_generation_after_its_ttl() -> None:
    log = MemoryChunkLog(retain_ttl=0.05)
    await log.append("gen_a", chunk("gen_a", 0))
    await log.append("gen_a", complete("gen_a"))

    await asyncio.sleep(0.1)

    assert not (await log.read("gen_a", after=-1)).found


async def test_connection_counter_refuses_past_the_limit(hub: Hub) -> None:
    user_id = "usr_" + os.urandom(4).hex()
    first = await hub.connections.acquire(user_id, limit=2)
    second = await hub.connections.acquire(user_id, limit=2)

    third = await hub.connections.acquire(user_id, limit=2)
    assert first and second and third is None

    await hub.connections.release(user_id, first)
    assert await hub.connections.acquire(user_id, limit=2) is not None


async def test_every_cancelled_follower_ends_whenever_the_cancel_lands(
    hub: Hub,
) -> None:
    """A follower cancelled at any point of its start (subscribing, reading the
    log, waiting for live chunks) ends. With Redis, redis-py once swallowed a
    cancel landing mid-command about one time in ten: the follower, and its
    channel's pump, then waited forever (benchmark 10 saw the memory grow)."""
    generation_id = "gen_cancelled_followers"
    await hub.publish(channels.generation(generation_id), chunk(generation_id, 0))
    hung = 0
    for attempt in range(300):

        async def follow() -> None:
            async for _ in hub.follow_generation(generation_id):
                pass

        task = asyncio.create_task(follow())
        await asyncio.sleep((attempt % 30) * 0.0002)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=3)
        hung += not done
    assert hung == 0
    assert hub.listener_count(channels.generation(generation_id)) == 0
