"""Prompt building: one place, per format and option."""

from __future__ import annotations

import pytest

from resolvers.generation_request import FORMATS, check_options
from resolvers.prompts import build_messages, target_words

ARTICLE = " ".join(["Sentence number one is here."] * 40)


@pytest.mark.parametrize("format", FORMATS)
def test_every_format_has_a_system_and_a_user_message(format: str) -> None:
    messages = build_messages(format, check_options({}), "Home solar")

    assert [m["role"] for m in messages] == ["system", "user"]
    assert "Home solar" in messages[1]["content"]


def test_options_shape_the_instructions() -> None:
    options = check_options(
        {
            "tone": "friendly",
            "length": "long",
            "language": "fr",
            "audience": "teachers",
            "style": "narrative",
            "keywords": ["solar", "wind"],
        }
    )

    system = build_messages("blog", options, "x")[0]["content"]

    assert "Tone: friendly. Style: narrative." in system
    assert "Audience: teachers." in system
    assert "Write in French." in system
    assert "about 1500 words" in system
    assert "solar, wind" in system
    assert "'# ' title" in system


def test_email_asks_for_a_subject_and_a_sign_off() -> None:
    system = build_messages("email", check_options({}), "x")[0]["content"]

    assert "'Subject: '" in system
    assert "sign-off" in system


def test_summary_targets_a_share_of_its_input() -> None:
    system = build_messages("summary", check_options({"length": "short"}), ARTICLE)

    assert target_words("summary", "short", ARTICLE) == 30
    assert "about 30 words" in system[0]["content"]
    assert system[1]["content"].startswith("Text to summarise:")


def test_no_keyword_line_without_keywords() -> None:
    system = build_messages("ad_copy", check_options({}), "x")[0]["content"]

    assert "keywords" not in system
