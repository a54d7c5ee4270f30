"""What a caller may ask for: formats, options and their bounds.

``validate_request`` turns the loose JSON of any surface into a checked
``GenerationRequest``; each refusal is a VALIDATION_ERROR naming its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from resolvers.errors import ValidationFailed

FORMATS = (
    "blog",
    "email",
    "summary",
    "social_post",
    "product_description",
    "ad_copy",
)
LENGTHS = ("short", "medium", "long")
TONES = (
    "professional",
    "casual",
    "friendly",
    "formal",
    "persuasive",
    "informative",
    "enthusiastic",
    "humorous",
    "empathetic",
    "confident",
    "neutral",
)
MAX_INPUT_CHARS = 20_000
MAX_METADATA_BYTES = 8_192
MAX_TOKENS_LIMIT = 8_000
MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 50
MAX_TEXT_OPTION_CHARS = 100
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")

OPTION_NAMES = (
    "model",
    "tone",
    "length",
    "language",
    "temperature",
    "max_tokens",
    "audience",
    "style",
    "keywords",
)

DEFAULT_MAX_TOKENS = {"short": 600, "medium": 1_500, "long": 3_000}


@dataclass(frozen=True)
class GenerationOptions:
    """Checked options, with defaults filled in."""

    model: str | None = None
    tone: str = "professional"
    length: str = "medium"
    language: str = "en"
    temperature: float = 0.7
    max_tokens: int = DEFAULT_MAX_TOKENS["medium"]
    audience: str = "general"
    style: str = "informative"
    keywords: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The options as stored and shown (``keywords`` as a list)."""
        return {
            "model": self.model,
            "tone": self.tone,
            "length": self.length,
            "language": self.language,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "audience": self.audience,
            "style": self.style,
            "keywords": list(self.keywords),
        }


@dataclass(frozen=True)
class GenerationRequest:
    """A request to generate: what to write, from what, how, and labels."""

    format: str
    input: str
    options: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckedRequest:
    """A request that passed validation."""

    format: str
    input: str
    options: GenerationOptions
    metadata: dict[str, Any]

    @property
    def team_id(self) -> str | None:
        value = self.metadata.get("team_id")
        return value if isinstance(value, str) and value else None


def _fail(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(field=field, reason=reason)


def _choice(options: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = options[name]
    if value not in allowed:
        raise _fail(f"options.{name}", f"must be one of {', '.join(allowed)}")
    return str(value)


def _short_text(options: Mapping[str, Any], name: str) -> str:
    value = options[name]
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"options.{name}", "must be a non-empty string")
    if len(value) > MAX_TEXT_OPTION_CHARS:
        raise _fail(f"options.{name}", f"at most {MAX_TEXT_OPTION_CHARS} characters")
    return value.strip()


def _temperature(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail("options.temperature", "must be a number between 0 and 2")
    if not 0 <= value <= 2:
        raise _fail("options.temperature", "must be between 0 and 2")
    return float(value)


def _max_tokens(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail("options.max_tokens", "must be a whole number")
    if not 1 <= value <= MAX_TOKENS_LIMIT:
        raise _fail("options.max_tokens", f"must be between 1 and {MAX_TOKENS_LIMIT}")
    return value


def _keywords(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise _fail("options.keywords", "must be a list of strings")
    if len(value) > MAX_KEYWORDS:
        raise _fail("options.keywords", f"at most {MAX_KEYWORDS} keywords")
    cleaned = tuple(k.strip() for k in value if k.strip())
    if any(len(k) > MAX_KEYWORD_CHARS for k in cleaned):
        raise _fail(
            "options.keywords", f"each keyword at most {MAX_KEYWORD_CHARS} characters"
        )
    return cleaned


def check_options(raw: Mapping[str, Any] | None) -> GenerationOptions:
    """Check every option against its bounds; unknown options are refused."""
    options = dict(raw or {})
    for name in options:
        if name not in OPTION_NAMES:
            raise _fail(
                f"options.{name}",
                "unknown option; known options are " + ", ".join(OPTION_NAMES),
            )
    present = {k: v for k, v in options.items() if v is not None}
    length = _choice(present, "length", LENGTHS) if "length" in present else "medium"
    model = present.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise _fail("options.model", "must be a model name")
    language = present.get("language", "en")
    if not isinstance(language, str) or not LANGUAGE.match(language):
        raise _fail("options.language", "must be a language code such as 'en'")
    return GenerationOptions(
        model=model.strip() if isinstance(model, str) else None,
        tone=_choice(present, "tone", TONES) if "tone" in present else "professional",
        length=length,
        language=language,
        temperature=_temperature(present.get("temperature", 0.7)),
        max_tokens=_max_tokens(present.get("max_tokens", DEFAULT_MAX_TOKENS[length])),
        audience=_short_text(present, "audience")
        if "audience" in present
        else "general",
        style=_short_text(present, "style") if "style" in present else "informative",
        keywords=_keywords(present["keywords"]) if "keywords" in present else (),
    )


def check_metadata(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Metadata is a small JSON object; ``team_id`` (if any) is a string."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail("metadata", "must be an object")
    metadata = dict(raw)
    if len(orjson.dumps(metadata)) > MAX_METADATA_BYTES:
        raise _fail("metadata", f"at most {MAX_METADATA_BYTES} bytes of JSON")
    team_id = metadata.get("team_id")
    if team_id is not None and (not isinstance(team_id, str) or not team_id):
        raise _fail("metadata.team_id", "must be a team id")
    return metadata


def check_format(value: Any) -> str:
    if value not in FORMATS:
        raise _fail("format", f"must be one of {', '.join(FORMATS)}")
    return str(value)


def check_input(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail("input", "must be a non-empty string")
    if len(value) > MAX_INPUT_CHARS:
        raise _fail("input", f"at most {MAX_INPUT_CHARS} characters")
    return value


def validate_request(request: GenerationRequest) -> CheckedRequest:
    """Check a request from any surface, naming the first field that is wrong."""
    options = request.options
    if options is not None and not isinstance(options, Mapping):
        raise _fail("options", "must be an object")
    return CheckedRequest(
        format=check_format(request.format),
        input=check_input(request.input),
        options=check_options(options),
        metadata=check_metadata(request.metadata),
    )
