"""Prompt building: what each format asks of a model, and how each option
changes it. The one place that words instructions to models."""

from __future__ import annotations

from dataclasses import dataclass

from resolvers.generation_request import GenerationOptions

WORD_TARGETS: dict[str, dict[str, int]] = {
    "blog": {"short": 300, "medium": 800, "long": 1500},
    "email": {"short": 80, "medium": 150, "long": 300},
    "social_post": {"short": 30, "medium": 60, "long": 120},
    "product_description": {"short": 60, "medium": 120, "long": 250},
    "ad_copy": {"short": 25, "medium": 50, "long": 100},
}
SUMMARY_SHARE = {"short": 0.15, "medium": 0.25, "long": 0.4}
SUMMARY_MIN_WORDS = 15

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ja": "Japanese",
    "zh": "Chinese",
}


@dataclass(frozen=True)
class FormatBrief:
    """What a format is, and the shape its text must take."""

    role: str
    shape: str


BRIEFS: dict[str, FormatBrief] = {
    "blog": FormatBrief(
        role="an experienced blog writer",
        shape=(
            "Write a blog post in Markdown: a '# ' title line, a short "
            "introduction, two to four '## ' sections, and a conclusion."
        ),
    ),
    "email": FormatBrief(
        role="a clear and courteous business correspondent",
        shape=(
            "Write an email. The first line is 'Subject: ' followed by the "
            "subject; then a greeting, the body in short paragraphs, and a "
            "sign-off with a name."
        ),
    ),
    "summary": FormatBrief(
        role="a precise editor",
        shape=(
            "Summarise the text below. Use only facts it states, keep its key "
            "points in order, and make the summary much shorter than the text."
        ),
    ),
    "social_post": FormatBrief(
        role="a social media copywriter",
        shape=(
            "Write one social media post: a hook in the first sentence, one "
            "idea, a call to action, and at most three hashtags at the end."
        ),
    ),
    "product_description": FormatBrief(
        role="an e-commerce copywriter",
        shape=(
            "Write a product description: one opening sentence on what it is "
            "and who it is for, then a bulleted list of benefits, then a "
            "closing sentence."
        ),
    ),
    "ad_copy": FormatBrief(
        role="an advertising copywriter",
        shape=(
            "Write ad copy: a headline line, one or two lines of body text, "
            "and a short call to action."
        ),
    ),
}


def word_count(text: str) -> int:
    """Words in ``text``, as counted everywhere in Harvest."""
    return len(text.split())


def estimate_tokens(text: str) -> int:
    """Tokens in ``text`` by the usual four-characters rule; no tokenizer file
    is ever downloaded."""
    return (len(text) + 3) // 4


def target_words(format: str, length: str, source: str) -> int:
    """How many words the answer should have: by format and length; a summary
    by a share of its input."""
    if format == "summary":
        share = SUMMARY_SHARE.get(length, SUMMARY_SHARE["medium"])
        return max(SUMMARY_MIN_WORDS, int(word_count(source) * share))
    return WORD_TARGETS[format][length]


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)


def system_prompt(format: str, options: GenerationOptions, source: str) -> str:
    """The instructions: role, shape, length, tone, audience, style, language."""
    brief = BRIEFS[format]
    lines = [
        f"You are {brief.role}.",
        brief.shape,
        f"Aim for about {target_words(format, options.length, source)} words.",
        f"Tone: {options.tone}. Style: {options.style}.",
        f"Audience: {options.audience}.",
        f"Write in {language_name(options.language)}.",
    ]
    if options.keywords:
        lines.append(
            "Use each of these keywords naturally at least once: "
            + ", ".join(options.keywords)
            + "."
        )
    lines.append("Answer with the text only, with no commentary about it.")
    return "\n".join(lines)


def user_prompt(format: str, source: str) -> str:
    """The caller's input, framed for the format."""
    if format == "summary":
        return "Text to summarise:\n\n" + source
    return "Topic and notes:\n\n" + source


def build_messages(
    format: str, options: GenerationOptions, source: str
) -> list[dict[str, str]]:
    """Chat messages for one generation."""
    return [
        {"role": "system", "content": system_prompt(format, options, source)},
        {"role": "user", "content": user_prompt(format, source)},
    ]
