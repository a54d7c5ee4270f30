"""The OpenAI-compatible provider against a real server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harvest.adapters.models.openai_compatible import OpenAICompatibleProvider
from resolvers.errors import ContentFiltered, ServiceUnavailable, Timeout
from resolvers.ports import ModelRequest
from tests.peers.openai_server import (
    ANSWER,
    COMPLETION_TOKENS,
    PROMPT_TOKENS,
    OpenAIPeer,
    running_openai_peer,
)


@pytest.fixture
def peer() -> Iterator[OpenAIPeer]:
    with running_openai_peer() as server:
        yield server


def provider(peer: OpenAIPeer, *, timeout: float = 5.0) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(
        api_key="test-key", base_url=peer.url, timeout_seconds=timeout, max_retries=0
    )


def request(model: str = "peer-echo") -> ModelRequest:
    return ModelRequest(
        model=model,
        messages=[
            {"role": "system", "content": "Write a blog post."},
            {"role": "user", "content": "Renewable energy"},
        ],
        temperature=0.7,
        max_tokens=200,
        format="blog",
        input="Renewable energy",
        options={},
    )


async def test_complete_returns_the_answer_and_its_usage(peer: OpenAIPeer) -> None:
    text, usage = await provider(peer).complete(request())

    assert text == ANSWER
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        PROMPT_TOKENS,
        COMPLETION_TOKENS,
    )
    sent = peer.requests[-1]
    assert sent["authorization"] == "Bearer test-key"
    assert sent["body"]["model"] == "peer-echo"
    assert sent["body"]["max_tokens"] == 200
    assert sent["body"]["messages"][0]["role"] == "system"


async def test_stream_yields_chunks_then_the_reported_usage(peer: OpenAIPeer) -> None:
    deltas = [d async for d in provider(peer).stream(request())]

    texts = [d.text for d in deltas if d.text]
    assert len(texts) > 3
    assert "".join(texts) == ANSWER
    assert deltas[-1].usage is not None
    assert deltas[-1].usage.total_tokens == PROMPT_TOKENS + COMPLETION_TOKENS
    assert peer.requests[-1]["body"]["stream"] is True
    assert peer.requests[-1]["body"]["stream_options"] == {"include_usage": True}


async def test_upstream_500_is_service_unavailable(peer: OpenAIPeer) -> None:
    with pytest.raises(ServiceUnavailable) as caught:
        await provider(peer).complete(request("peer-error"))

    assert caught.value.details["upstream_status"] == 500


async def test_streaming_upstream_500_is_service_unavailable(peer: OpenAIPeer) -> None:
    with pytest.raises(ServiceUnavailable):
        [d async for d in provider(peer).stream(request("peer-error"))]


async def test_upstream_rate_limit_is_service_unavailable(peer: OpenAIPeer) -> None:
    with pytest.raises(ServiceUnavailable) as caught:
        await provider(peer).complete(request("peer-ratelimit"))

    assert caught.value.details["upstream_status"] == 429


async def test_slow_upstream_is_a_timeout(peer: OpenAIPeer) -> None:
    with pytest.raises(Timeout):
        await provider(peer, timeout=0.5).complete(request("peer-slow"))


async def test_stream_that_stalls_is_a_timeout(peer: OpenAIPeer) -> None:
    with pytest.raises(Timeout):
        [d async for d in provider(peer, timeout=0.5).stream(request("peer-stall"))]


async def test_refusal_for_content_is_content_filtered(peer: OpenAIPeer) -> None:
    with pytest.raises(ContentFiltered):
        await provider(peer).complete(request("peer-filter"))
    with pytest.raises(ContentFiltered):
        [d async for d in provider(peer).stream(request("peer-filter"))]


async def test_unreachable_endpoint_is_service_unavailable() -> None:
    unreachable = OpenAICompatibleProvider(
        api_key="k", base_url="http://127.0.0.1:9/v1", max_retries=0
    )

    with pytest.raises(ServiceUnavailable):
        await unreachable.complete(request())


async def test_a_stream_that_keeps_trickling_past_the_deadline_is_a_timeout(
    peer: OpenAIPeer,
) -> None:
    # The peer sends a word every few milliseconds, so no single wait comes
    # near the 5 s timeout; the whole call still has to end by its deadline.
    trickling = OpenAICompatibleProvider(
        api_key="k", base_url=peer.url, deadline_seconds=0.02, max_retries=0
    )
    received = []
    with pytest.raises(Timeout):
        async for delta in trickling.stream(request()):
            received.append(delta)

    assert len(received) < len(ANSWER.split(" "))


async def test_a_completion_past_the_deadline_is_a_timeout(peer: OpenAIPeer) -> None:
    late = OpenAICompatibleProvider(
        api_key="k", base_url=peer.url, deadline_seconds=0.2, max_retries=0
    )

    with pytest.raises(Timeout):
        await late.complete(request("peer-slow"))
