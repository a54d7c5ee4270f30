"""``harvest admin`` commands that walk every generation: rebuilding the search
index and exporting generations in bulk.

Both read in keyset-ordered batches (``id`` order), so memory stays flat on a
large history, and both show a progress bar counted in rows.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

import sqlalchemy as sa
from sqlmodel import col, select

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from harvest.admin import Admin
    from models.generation import Generation

BATCH_ROWS = 500
PG_SEARCH_INDEX = "ix_generations_search"
SQLITE_NEXT_IDS = sa.text(
    "SELECT id FROM generations WHERE id > :after ORDER BY id LIMIT :rows"
)
SQLITE_REFILL = sa.text(
    "INSERT INTO generations_fts (gid, title, content) "
    "SELECT id, title, content FROM generations WHERE id > :after AND id <= :upto"
)
EXPORTED_FIELDS = (
    "id",
    "user_id",
    "team_id",
    "template_id",
    "batch_id",
    "format",
    "status",
    "model",
    "title",
    "input",
    "content",
    "options",
    "meta",
    "word_count",
    "tokens_used",
    "processing_time_ms",
    "error_code",
    "created_at",
    "completed_at",
)


async def _count(session: AsyncSession, user_id: str | None) -> int:
    from models.generation import Generation

    query = sa.select(sa.func.count()).select_from(Generation)
    if user_id is not None:
        query = query.where(col(Generation.user_id) == user_id)
    return int((await session.execute(query)).scalar_one())


async def reindex_search(admin: Admin) -> None:
    """Rebuild the full-text index of generations from their stored text."""
    async with admin.parts.db.session() as session:
        total = await _count(session, None)
        dialect = session.get_bind().dialect.name
        with admin.bar(total, "reindexing search") as bar:
            if dialect == "postgresql":
                # The GIN index is over an expression: one statement rebuilds it.
                await session.execute(sa.text(f"REINDEX INDEX {PG_SEARCH_INDEX}"))
                await session.execute(sa.text("ANALYZE generations"))
                bar.update(total)
            else:
                await _refill_sqlite(session, bar)
        # One transaction: a search during the rebuild sees the old index.
        await session.commit()
    admin.say(f"reindexed {total} generation(s)")


async def _refill_sqlite(session: AsyncSession, bar: Any) -> None:
    await session.execute(sa.text("DELETE FROM generations_fts"))
    after = ""
    while True:
        found = await session.execute(
            SQLITE_NEXT_IDS, {"after": after, "rows": BATCH_ROWS}
        )
        ids = list(found.scalars())
        if not ids:
            break
        await session.execute(SQLITE_REFILL, {"after": after, "upto": ids[-1]})
        after = ids[-1]
        bar.update(len(ids))
    await session.execute(
        sa.text("INSERT INTO generations_fts (generations_fts) VALUES ('optimize')")
    )


def _row(generation: Generation) -> dict[str, Any]:
    row = {name: getattr(generation, name) for name in EXPORTED_FIELDS}
    for name in ("created_at", "completed_at"):
        if row[name] is not None:
            row[name] = row[name].isoformat()
    row["metadata"] = row.pop("meta")
    return row


async def export_generations(admin: Admin) -> None:
    """Write generations as JSON lines, one object per generation."""
    from harvest.admin import find_user

    user_id = None
    if admin.args.user:
        user_id = (await find_user(admin, admin.args.user)).id
    target: TextIO = (
        sys.stdout
        if admin.args.output in (None, "-")
        else open(admin.args.output, "w", encoding="utf-8")  # noqa: SIM115
    )
    try:
        written = await _write_generations(admin, target, user_id)
    finally:
        if target is not sys.stdout:
            target.close()
    admin.note(f"exported {written} generation(s)")


async def _write_generations(admin: Admin, target: TextIO, user_id: str | None) -> int:
    from models.generation import Generation

    written, after = 0, ""
    async with admin.parts.db.session() as session:
        total = await _count(session, user_id)
        with admin.bar(total, "exporting") as bar:
            while True:
                query = (
                    select(Generation)
                    .where(col(Generation.id) > after)
                    .order_by(col(Generation.id))
                    .limit(BATCH_ROWS)
                )
                if user_id is not None:
                    query = query.where(col(Generation.user_id) == user_id)
                rows = list((await session.execute(query)).scalars())
                if not rows:
                    return written
                for generation in rows:
                    target.write(json.dumps(_row(generation), ensure_ascii=False))
                    target.write("\n")
                written += len(rows)
                after = rows[-1].id
                bar.update(len(rows))
                session.expunge_all()
