"""Model providers, and the one place that decides which model names exist.

The offline writer is always registered. When ``OPENAI_API_KEY`` is set, the
names in ``HARVEST_OPENAI_MODELS`` (default below) are served by the
OpenAI-compatible endpoint at ``OPENAI_BASE_URL``. ``HARVEST_DEFAULT_MODEL``
picks the model for requests that name none: by default the first OpenAI
model when one is configured, else the offline writer.
"""

from __future__ import annotations

from harvest.adapters.models.offline import OFFLINE_WRITER, OfflineWriter
from harvest.adapters.models.openai_compatible import OpenAICompatibleProvider
from harvest.settings import Settings
from resolvers.model_registry import ModelEntry, ModelRegistry

__all__ = ["OFFLINE_WRITER", "OfflineWriter", "build_model_registry"]


def build_model_registry(settings: Settings) -> ModelRegistry:
    """The registry for ``settings``."""
    entries = [
        ModelEntry(
            OFFLINE_WRITER,
            OfflineWriter(delay_seconds=settings.offline_writer_delay_seconds),
        )
    ]
    if settings.openai_api_key:
        provider = OpenAICompatibleProvider(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout_seconds=settings.model_timeout_seconds,
            deadline_seconds=settings.model_deadline_seconds,
        )
        entries += [
            ModelEntry(name, provider)
            for name in settings.openai_models
            if name != OFFLINE_WRITER
        ]
    default = settings.default_model or (
        entries[1].name if len(entries) > 1 else OFFLINE_WRITER
    )
    return ModelRegistry(entries, default=default)
