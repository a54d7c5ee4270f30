"""Batch loading for generation fields."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from models.generation import GenerationVersion
from resolvers.generation import versions_by_generation_ids
from schema.context import Context


def versions_loader(context: Context) -> DataLoader[str, list[GenerationVersion]]:
    """The per-request loader of versions by generation id (built on first use)."""

    async def load_versions_by_generation_id(
        keys: list[str],
    ) -> list[list[GenerationVersion]]:
        async with context.rc.session() as session:
            grouped = await versions_by_generation_ids(session, list(keys))
        return [grouped.get(key, []) for key in keys]

    loader: DataLoader[str, list[GenerationVersion]] = DataLoader(
        load_fn=load_versions_by_generation_id
    )
    context.loaders["generation_versions_by_generation_id"] = loader
    return loader
