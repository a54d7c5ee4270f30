"""The offline writer: a model provider that needs no network and no weights.

It composes format-appropriate text from the request itself (a blog post has
a title and sections, an email a subject and a sign-off, a summary is picked
from the sentences of its input), follows the requested length, tone and
keywords, and streams the result in small chunks. It is for development and
tests; it writes English whatever the requested language.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator

from resolvers.ports import ModelDelta, ModelRequest, ModelUsage
from resolvers.prompts import estimate_tokens, target_words, word_count

logger = logging.getLogger(__name__)

OFFLINE_WRITER = "offline-writer"
WORDS_PER_CHUNK = 3

STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has
    have how i if in into is it its just may more most much must my no not of
    on or our out over so some such than that the their them then there these
    they this those to too up us very was we were what when where which while
    who why will with would you your about after also any because before
    between both each even every here many next only other should still very
    well""".split()  # noqa: SIM905
)
SMALL_WORDS = frozenset(
    ("a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the")
)

OPENERS = {
    "professional": ["In practical terms,", "For most organisations,", "Notably,"],
    "casual": ["Honestly,", "Here's the thing:", "Let's be real:"],
    "friendly": ["Good news:", "As you might guess,", "Happily,"],
    "formal": ["It should be noted that", "Accordingly,", "In principle,"],
    "persuasive": ["Make no mistake:", "Consider this:", "The case is clear:"],
    "informative": ["In short,", "For context,", "As a rule,"],
    "enthusiastic": ["Exciting times:", "Even better,", "Here's the best part:"],
    "humorous": ["Spoiler alert:", "Believe it or not,", "Plot twist:"],
    "empathetic": ["We understand that", "It is natural that", "Understandably,"],
    "confident": ["Without doubt,", "Clearly,", "We know that"],
    "neutral": ["In general,", "Typically,", "Overall,"],
}
SIGN_OFFS = {
    "professional": "Best regards",
    "casual": "Cheers",
    "friendly": "Warm wishes",
    "formal": "Yours sincerely",
    "enthusiastic": "All the best",
    "empathetic": "With care",
}
SENTENCES = (
    "{topic} is shaped by {term} more than most people expect.",
    "paying attention to {term} makes {topic} easier to plan for.",
    "teams that follow {term} and {term2} tend to make better decisions.",
    "the link between {term} and {topic} deserves a closer look.",
    "a sensible first step is to understand {term} before changing anything.",
    "small improvements in {term2} add up over a year.",
    "costs, risks and timing all depend on how {term} develops.",
    "anyone new to {topic} should start with {term}.",
    "the most useful questions about {term} are also the simplest ones.",
    "{term} and {term2} work best when they are planned together.",
    "progress on {term} is easier to measure than it used to be.",
    "the story of {topic} is still being written, and {term} is a large part of it.",
)
HEADINGS = (
    "Why {Term} Matters",
    "What Is Changing in {Term}",
    "Practical Steps for {Term}",
    "Common Questions About {Term}",
    "What Comes Next for {Term}",
)
SECTIONS_BY_LENGTH = {"short": 2, "medium": 3, "long": 4}


def title_case(text: str) -> str:
    words = text.split()
    return " ".join(
        w if (i and w.lower() in SMALL_WORDS) else w[:1].upper() + w[1:]
        for i, w in enumerate(words)
    )


def sentences_of(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return [p.strip() for p in parts if p.strip()]


def salient_terms(text: str, limit: int = 8) -> list[str]:
    """The input's most frequent content words, most frequent first."""
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text)]
    counts = Counter(w for w in words if w not in STOPWORDS)
    return [word for word, _ in counts.most_common(limit)]


def topic_of(text: str) -> str:
    """A short topic phrase: the input's first clause, up to ten words."""
    first = re.split(r"[.!?\n]|\.\.\.|…", text.strip(), maxsplit=1)[0]
    words = re.findall(r"[\w'-]+", first)[:10]
    return " ".join(words) or "this topic"


class Composer:
    """Writes one piece of text for one request, deterministically."""

    def __init__(self, request: ModelRequest) -> None:
        self.request = request
        self.options = request.options
        seed = hashlib.sha256(
            f"{request.format}|{request.input}|{sorted(self.options.items())}".encode()
        ).digest()
        self.rng = random.Random(seed)
        self.tone = str(self.options.get("tone") or "professional")
        self.length = str(self.options.get("length") or "medium")
        self.keywords = [str(k) for k in self.options.get("keywords") or []]
        self.topic = topic_of(request.input)
        self.terms = self.keywords + [
            t for t in salient_terms(request.input) if t not in self.keywords
        ] or [self.topic.lower()]
        self.target = target_words(request.format, self.length, request.input)
        self._term_index = 0
        self._sentence_index = self.rng.randrange(len(SENTENCES))

    def next_term(self) -> str:
        term = self.terms[self._term_index % len(self.terms)]
        self._term_index += 1
        return term

    def sentence(self) -> str:
        template = SENTENCES[self._sentence_index % len(SENTENCES)]
        self._sentence_index += 1
        text = template.format(
            topic=self.topic.lower(), term=self.next_term(), term2=self.next_term()
        )
        if self.rng.random() < 0.35:
            text = (
                f"{self.rng.choice(OPENERS.get(self.tone, OPENERS['neutral']))} {text}"
            )
        return text[:1].upper() + text[1:]

    def paragraph(self, words: int) -> str:
        sentences = [self.sentence()]
        while word_count(" ".join(sentences)) < words:
            sentences.append(self.sentence())
        return " ".join(sentences)

    def missing_keywords(self, text: str) -> list[str]:
        lowered = text.lower()
        return [k for k in self.keywords if k.lower() not in lowered]

    def write(self) -> str:
        writer = getattr(self, f"write_{self.request.format}", self.write_blog)
        text: str = writer()
        missing = self.missing_keywords(text)
        if missing and self.request.format != "summary":
            text += "\n\nKey themes: " + ", ".join(missing) + "."
        return text

    def write_blog(self) -> str:
        sections = SECTIONS_BY_LENGTH.get(self.length, 3)
        share = max(25, self.target // (sections + 2))
        parts = [f"# {title_case(self.topic)}", self.paragraph(share)]
        headings = list(HEADINGS)
        for index in range(sections):
            term = self.terms[index % len(self.terms)]
            heading = headings[index % len(headings)].format(Term=title_case(term))
            parts += [f"## {heading}", self.paragraph(share)]
        parts += ["## Conclusion", self.paragraph(share)]
        return "\n\n".join(parts)

    def write_email(self) -> str:
        sign_off = SIGN_OFFS.get(self.tone, "Kind regards")
        body_words = max(20, self.target - 12)
        paragraphs = [self.paragraph(body_words // 2), self.paragraph(body_words // 2)]
        return "\n\n".join(
            [
                f"Subject: {title_case(self.topic)}",
                "Hello,",
                *paragraphs,
                f"{sign_off},\nThe Harvest team",
            ]
        )

    def write_summary(self) -> str:
        sentences = sentences_of(self.request.input)
        source_words = word_count(self.request.input)
        budget = min(self.target, max(1, int(source_words * 0.8)))
        weights = Counter(salient_terms(self.request.input, limit=50))
        ranked = sorted(
            range(len(sentences)),
            key=lambda i: -sum(weights[w.lower()] for w in sentences[i].split()),
        )
        chosen: list[int] = []
        used = 0
        for index in ranked:
            size = word_count(sentences[index])
            if chosen and used + size > budget:
                continue
            chosen.append(index)
            used += size
        words = " ".join(sentences[i] for i in sorted(chosen)).split()
        return " ".join(words[:budget])

    def write_social_post(self) -> str:
        body = self.paragraph(max(10, self.target - 12))
        tags = " ".join("#" + re.sub(r"\W", "", t.title()) for t in self.terms[:3])
        return f"{body} Share your thoughts below!\n\n{tags}"

    def write_product_description(self) -> str:
        opening = (
            f"{title_case(self.topic)}: made for people who care about "
            f"{self.next_term()}."
        )
        bullets: list[str] = []
        while word_count(opening + " ".join(bullets)) < self.target - 12:
            bullets.append(f"- {self.sentence()}")
        closing = "Order today and see the difference for yourself."
        return "\n".join([opening, "", *bullets, "", closing])

    def write_ad_copy(self) -> str:
        headline = title_case(self.topic)
        body = self.paragraph(max(8, self.target - 10))
        return f"{headline}\n\n{body}\n\nTry it today."


def chunks_of(text: str, words: int = WORDS_PER_CHUNK) -> list[str]:
    """Split ``text`` into pieces of a few words that join back exactly."""
    pieces = re.findall(r"\s*\S+\s*", text)
    return ["".join(pieces[i : i + words]) for i in range(0, len(pieces), words)]


class OfflineWriter:
    """The built-in provider that writes without a model."""

    name = OFFLINE_WRITER

    def __init__(self, *, delay_seconds: float = 0.01) -> None:
        self.delay_seconds = delay_seconds

    def compose(self, request: ModelRequest) -> str:
        """The full text for ``request``."""
        return Composer(request).write()

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelDelta]:
        """Yield the text a few words at a time, stopping at ``max_tokens``."""
        started = time.monotonic()
        prompt_tokens = sum(estimate_tokens(m["content"]) for m in request.messages)
        completion_tokens = 0
        for piece in chunks_of(self.compose(request)):
            tokens = estimate_tokens(piece)
            if completion_tokens + tokens > request.max_tokens:
                break
            completion_tokens += tokens
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            yield ModelDelta(text=piece)
        yield ModelDelta(usage=ModelUsage(prompt_tokens, completion_tokens))
        logger.info(
            "model call",
            extra={
                "provider": self.name,
                "operation": "stream",
                "status": "ok",
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )

    async def complete(self, request: ModelRequest) -> tuple[str, ModelUsage]:
        """The whole text at once."""
        text: list[str] = []
        usage = ModelUsage(0, 0)
        async for delta in self.stream(request):
            text.append(delta.text)
            usage = delta.usage or usage
        return "".join(text), usage
