"""Which model names exist and which provider serves each.

The wiring package fills the registry once per process from the settings
(``harvest/adapters/models``); every generation asks it for its provider.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from resolvers.errors import UnsupportedModel
from resolvers.ports import ModelProvider


@dataclass(frozen=True)
class ModelEntry:
    """A model name and what serves it."""

    name: str
    provider: ModelProvider
    streams: bool = True


class ModelRegistry:
    """Model names mapped to providers, with the default for requests that
    name none."""

    def __init__(self, entries: Iterable[ModelEntry], *, default: str) -> None:
        self._entries = {entry.name: entry for entry in entries}
        if default not in self._entries:
            raise ValueError(f"the default model {default!r} is not registered")
        self.default = default

    @property
    def names(self) -> list[str]:
        """Every configured model name, sorted."""
        return sorted(self._entries)

    def resolve(self, name: str | None) -> ModelEntry:
        """The entry for ``name`` (the default when None), or UNSUPPORTED_MODEL
        listing the configured models."""
        chosen = name or self.default
        entry = self._entries.get(chosen)
        if entry is None:
            raise UnsupportedModel(
                f"Model '{chosen}' is not available: use one of "
                + ", ".join(self.names),
                details={
                    "field": "options.model",
                    "model": chosen,
                    "supported_models": self.names,
                },
            )
        return entry
