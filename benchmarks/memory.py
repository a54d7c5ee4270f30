"""Rows held in memory, for the engine benchmarks: a stand-in for the
database under our real schema, so that only the GraphQL engine is timed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from strawberry.dataloader import DataLoader

from models.base import utcnow
from models.generation import Generation, GenerationVersion
from resolvers.context import AppConfig, Principal, RequestContext
from resolvers.ports import Services
from schema.context import Context

USER_ID = "usr_bench"
CONTENT = "Panels keep getting cheaper and storage is catching up. " * 8


def generation_row(versions: int) -> tuple[Generation, list[GenerationVersion]]:
    now = utcnow()
    row = Generation(
        user_id=USER_ID,
        format="blog",
        status="completed",
        model="peer-echo",
        input="renewable energy",
        options={"length": "medium", "tone": "professional"},
        meta={"campaign": "bench"},
        title="Solar in 2030",
        content=CONTENT,
        word_count=len(CONTENT.split()),
        tokens_used=180,
        processing_time_ms=900,
        created_at=now,
        completed_at=now,
    )
    rows = [
        GenerationVersion(
            generation_id=row.id,
            version=n + 1,
            content=CONTENT,
            created_at=now - timedelta(seconds=n),
        )
        for n in range(versions)
    ]
    return row, rows


class MemorySession:
    def __init__(self, rows: dict[str, Any]) -> None:
        self.rows = rows

    async def get(self, model: type, key: str) -> Any:
        return self.rows.get(key)


class MemoryDatabase:
    """What ``call`` needs of ``models.db.Database``: sessions."""

    dialect = "memory"

    def __init__(self, rows: dict[str, Any]) -> None:
        self.rows = rows

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[MemorySession]:
        yield MemorySession(self.rows)


def memory_context(row: Generation, versions: list[GenerationVersion]) -> Context:
    """A signed-in caller's context whose database and loaders are in memory."""

    async def load(keys: list[str]) -> list[list[GenerationVersion]]:
        return [versions if key == row.id else [] for key in keys]

    rc = RequestContext(
        db=MemoryDatabase({row.id: row}),  # type: ignore[arg-type]
        services=Services(mailer=None, publisher=None),  # type: ignore[arg-type]
        config=AppConfig(secret_key="x" * 32, public_url="http://127.0.0.1"),
        request_id="req_bench",
        principal=Principal(user_id=USER_ID, tier="enterprise"),
        surface="graphql",
    )
    context = Context(rc=rc)
    context.loaders["generation_versions_by_generation_id"] = DataLoader(load_fn=load)
    return context
