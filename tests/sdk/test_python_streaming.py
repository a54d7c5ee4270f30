"""Streaming with the Python SDK: Server-Sent Events, resumed when cut, and
the spec's WebSocket (connect, subscribe, stream, cancel)."""

from __future__ import annotations

import pytest
from harvest_ai import AsyncHarvestClient, Forbidden, HarvestClient, RealtimeClosed

from tests import support
from tests.peers.tcp_proxy import TcpProxy
from tests.sdk.helpers import api_url, new_account

ARTICLE = "Solar panels and wind turbines now supply a growing share of power. " * 6


def test_a_stream_yields_chunks_whose_text_is_the_stored_content(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client

    stream = client.generate_stream(format="blog", input="The future of AI...")
    chunks = list(stream)

    assert len(chunks) > 3
    assert [c.index for c in chunks] == list(range(len(chunks)))
    stored = client.get_generation(str(stream.generation_id))
    assert "".join(c.text for c in chunks) == stored.content == stream.text
    assert stream.summary is not None and stream.summary.word_count == stored.word_count


async def test_the_async_client_streams_with_async_for(
    shared_server: support.LiveServer,
) -> None:
    token = new_account(shared_server).client.api_key
    async with AsyncHarvestClient(api_key=token, base_url=api_url(shared_server)) as c:
        stream = c.generate_stream(format="email", input="Meeting reminder")
        texts = [chunk.text async for chunk in stream]
        stored = await c.get_generation(str(stream.generation_id))

    assert "".join(texts) == stored.content


def test_a_stream_cut_halfway_resumes_without_a_gap_or_a_repeat(
    slow_server: support.LiveServer,
) -> None:
    account = new_account(slow_server)
    proxy = TcpProxy("127.0.0.1", slow_server.port)
    proxy.start()
    try:
        client = HarvestClient(
            api_key=account.client.api_key, base_url=f"http://127.0.0.1:{proxy.port}/v1"
        )
        proxy.drop_next_response(after_bytes=600)
        stream = client.generate_stream(format="summary", input=ARTICLE)
        chunks = list(stream)
    finally:
        proxy.close()

    stored = account.client.get_generation(str(stream.generation_id))
    assert proxy.connections >= 2
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert "".join(c.text for c in chunks) == stored.content


def test_a_finished_stream_can_be_read_again_after_a_chunk(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client
    first = client.generate_stream(format="summary", input=ARTICLE)
    chunks = list(first)

    again = list(client.resume_stream(str(first.generation_id), last_event_id=1))

    assert [c.index for c in again] == list(range(2, len(chunks)))
    assert "".join(c.text for c in again) == "".join(c.text for c in chunks[2:])


def test_the_websocket_connects_answers_pings_and_streams_a_generation(
    shared_server: support.LiveServer,
) -> None:
    client = new_account(shared_server).client

    with client.realtime() as realtime:
        server_time = realtime.ping()
        stream = realtime.stream_generation(format="email", input="Team lunch")
        texts = [chunk.text for chunk in stream]

    assert realtime.session_id and server_time
    generation = stream.generation
    assert generation.done and not generation.cancelled
    assert "".join(texts) == generation.content
    assert client.get_generation(str(generation.generation_id)).content == "".join(
        texts
    )


def test_a_websocket_subscription_receives_the_events_of_my_generations(
    shared_server: support.LiveServer,
) -> None:
    account = new_account(shared_server)

    with account.client.realtime() as realtime:
        subscription = realtime.subscribe(
            "generations", filters={"user_id": account.id}
        )
        made = account.client.generate(format="email", input="Reminder")
        seen = []
        for frame in realtime.events():
            seen.append(frame)
            if frame.get("type") == "generation_complete":
                break
        realtime.unsubscribe(subscription)

    assert subscription.startswith("sub_")
    assert {frame.get("generation_id") for frame in seen} == {made.id}


def test_a_generation_cancelled_over_the_websocket_stops_streaming(
    slow_server: support.LiveServer,
) -> None:
    client = new_account(slow_server).client

    with client.realtime() as realtime:
        stream = realtime.stream_generation(format="blog", input="A long story")
        chunks = []
        for chunk in stream:
            chunks.append(chunk)
            if len(chunks) == 1:
                realtime.cancel(str(chunk.generation_id))

    generation = stream.generation
    assert generation.cancelled
    assert client.get_generation(str(generation.generation_id)).status == "cancelled"


def test_a_websocket_refusal_is_raised_and_the_connection_stays_open(
    shared_server: support.LiveServer,
) -> None:
    me = new_account(shared_server)
    other = new_account(shared_server)

    with me.client.realtime() as realtime:
        with pytest.raises(Forbidden):
            realtime.subscribe("generations", filters={"user_id": other.id})
        still_there = realtime.ping()

    assert still_there


def test_a_websocket_with_a_bad_token_is_closed_with_4000(
    shared_server: support.LiveServer,
) -> None:
    client = HarvestClient(api_key="hv_not-a-key", base_url=api_url(shared_server))

    with pytest.raises(RealtimeClosed) as caught:
        client.realtime()

    assert caught.value.close_code == 4000


async def test_the_async_websocket_follows_a_generation_after_a_chunk(
    shared_server: support.LiveServer,
) -> None:
    token = new_account(shared_server).client.api_key
    client = AsyncHarvestClient(api_key=token, base_url=api_url(shared_server))
    async with client, await client.realtime() as realtime:
        started = await realtime.stream_generation(format="summary", input=ARTICLE)
        chunks = [chunk async for chunk in started]
        generation_id = str(started.generation.generation_id)
        followed = await realtime.follow_generation(generation_id, last_chunk_index=0)
        rest = [chunk async for chunk in followed]

    assert [c.index for c in rest] == list(range(1, len(chunks)))
    assert followed.generation.content == started.generation.content
