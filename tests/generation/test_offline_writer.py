"""The offline writer: format-appropriate text, length, tone, keywords and
chunks, with no network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from harvest.adapters.models.offline import OfflineWriter, chunks_of
from resolvers.generation_request import check_options
from resolvers.ports import ModelRequest
from resolvers.prompts import build_messages, word_count

ARTICLE = (
    "Offshore wind capacity doubled in Europe last year. Turbines are larger and "
    "more reliable than a decade ago. Grid operators still struggle with storage. "
    "Battery prices fell by a fifth, which makes evening demand easier to meet. "
    "Several countries plan auctions for floating wind farms. Fishermen worry "
    "about access to traditional grounds. Ports are investing in heavy cranes "
    "and deeper berths. Analysts expect costs to keep falling through the decade."
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the offline writer opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


def request(format: str, source: str, **options: Any) -> ModelRequest:
    checked = check_options(options)
    return ModelRequest(
        model="offline-writer",
        messages=build_messages(format, checked, source),
        temperature=checked.temperature,
        max_tokens=checked.max_tokens,
        format=format,
        input=source,
        options=checked.as_dict(),
    )


async def write(format: str, source: str, **options: Any) -> tuple[list[str], Any]:
    writer = OfflineWriter(delay_seconds=0)
    pieces, usage = [], None
    async for delta in writer.stream(request(format, source, **options)):
        if delta.text:
            pieces.append(delta.text)
        if delta.usage:
            usage = delta.usage
    return pieces, usage


async def test_blog_has_a_title_and_sections() -> None:
    pieces, usage = await write("blog", "The future of renewable energy")
    text = "".join(pieces)

    lines = text.splitlines()
    assert lines[0] == "# The Future of Renewable Energy"
    assert sum(line.startswith("## ") for line in lines) >= 3
    assert len(pieces) > 20
    assert usage.completion_tokens > 0 and usage.prompt_tokens > 0


async def test_email_has_a_subject_and_a_sign_off_by_tone() -> None:
    pieces, _ = await write("email", "Quarterly planning meeting", tone="formal")
    text = "".join(pieces)

    assert text.startswith("Subject: Quarterly Planning Meeting\n")
    assert "\nYours sincerely,\n" in text


async def test_summary_is_shorter_than_its_input_and_drawn_from_it() -> None:
    pieces, _ = await write("summary", ARTICLE, length="short")
    text = "".join(pieces)

    assert 0 < word_count(text) < word_count(ARTICLE) / 2
    source_words = set(ARTICLE.split())
    assert all(word in source_words for word in text.split())


async def test_length_changes_how_much_is_written() -> None:
    short, _ = await write("blog", "Electric buses", length="short")
    long, _ = await write("blog", "Electric buses", length="long", max_tokens=8000)

    assert 250 <= word_count("".join(short)) < 600
    assert word_count("".join(long)) >= 1400


async def test_keywords_all_appear() -> None:
    keywords = ["solar", "wind", "sustainability", "heat pumps"]

    for format in ("blog", "social_post", "ad_copy", "product_description"):
        pieces, _ = await write(format, "Home energy", keywords=keywords)
        text = "".join(pieces).lower()
        assert all(k in text for k in keywords), format


async def test_tone_shows_in_the_text() -> None:
    casual, _ = await write("blog", "Remote work", tone="casual")
    formal, _ = await write("blog", "Remote work", tone="formal")

    casual_text, formal_text = "".join(casual), "".join(formal)
    assert any(
        o in casual_text for o in ("Honestly,", "Here's the thing:", "Let's be real:")
    )
    assert not any(o in formal_text for o in ("Honestly,", "Let's be real:"))


async def test_max_tokens_stops_the_answer() -> None:
    pieces, usage = await write("blog", "Rail freight", max_tokens=40)

    assert usage.completion_tokens <= 40
    assert word_count("".join(pieces)) < 60


def test_chunks_join_back_exactly() -> None:
    text = "# Title\n\nOne two  three.\n- four\n\nfive"

    assert "".join(chunks_of(text)) == text
    assert len(chunks_of(text)) > 1
