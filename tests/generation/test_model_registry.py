"""The model registry: configured from the environment in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvest.adapters.models import OfflineWriter, build_model_registry
from harvest.adapters.models.openai_compatible import OpenAICompatibleProvider
from harvest.settings import load_settings
from resolvers.errors import UnsupportedModel
from resolvers.model_registry import ModelRegistry


def registry_from(tmp_path: Path, **environ: str) -> ModelRegistry:
    return build_model_registry(
        load_settings({"HARVEST_VAR_DIR": str(tmp_path), **environ})
    )


def test_without_an_api_key_only_the_offline_writer_is_registered(
    tmp_path: Path,
) -> None:
    registry = registry_from(tmp_path, HARVEST_OPENAI_MODELS="gpt-4")

    assert registry.names == ["offline-writer"]
    assert registry.default == "offline-writer"
    assert isinstance(registry.resolve(None).provider, OfflineWriter)


def test_the_environment_names_the_openai_models_and_the_default(
    tmp_path: Path,
) -> None:
    registry = registry_from(
        tmp_path,
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        HARVEST_OPENAI_MODELS="llama-3, mistral-small",
        HARVEST_DEFAULT_MODEL="mistral-small",
    )

    assert registry.names == ["llama-3", "mistral-small", "offline-writer"]
    assert registry.default == "mistral-small"
    entry = registry.resolve("llama-3")
    assert isinstance(entry.provider, OpenAICompatibleProvider)
    assert str(entry.provider.client.base_url).startswith("http://127.0.0.1:9/v1")
    assert registry.resolve(None).name == "mistral-small"


def test_with_an_api_key_the_first_openai_model_is_the_default(
    tmp_path: Path,
) -> None:
    registry = registry_from(tmp_path, OPENAI_API_KEY="sk-test")

    assert registry.default == "gpt-4"
    assert "offline-writer" in registry.names


def test_an_unknown_model_names_every_configured_one(tmp_path: Path) -> None:
    registry = registry_from(
        tmp_path, OPENAI_API_KEY="sk-test", HARVEST_OPENAI_MODELS="llama-3"
    )

    with pytest.raises(UnsupportedModel) as caught:
        registry.resolve("gpt-9")

    assert caught.value.details == {
        "field": "options.model",
        "model": "gpt-9",
        "supported_models": ["llama-3", "offline-writer"],
    }
    assert "llama-3, offline-writer" in caught.value.message


def test_a_default_model_that_is_not_configured_is_refused_at_start(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="gpt-9"):
        registry_from(tmp_path, HARVEST_DEFAULT_MODEL="gpt-9")
