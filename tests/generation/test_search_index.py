"""History search runs on the database's full-text index: the GIN index on
PostgreSQL, the FTS5 table on SQLite."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.applications import Starlette

from resolvers.generation_history import search_clause, search_terms


async def test_search_clause_is_answered_by_the_full_text_index(
    app: Starlette,
) -> None:
    db = app.state.parts.db
    clause = search_clause(db.dialect, search_terms("solar turbines"))
    query = sa.select(sa.text("generations.id")).select_from(sa.text("generations"))
    explain = "EXPLAIN" if db.dialect == "postgresql" else "EXPLAIN QUERY PLAN"

    async with db.session() as session:
        statement = query.where(clause).compile(
            dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
        )
        if db.dialect == "postgresql":
            # An empty table is cheapest to scan, so the planner is told not
            # to; it can then only use an index whose expression matches.
            await session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = await session.execute(sa.text(f"{explain} {statement}"))
        text = "\n".join(str(row[-1]) for row in plan)

    if db.dialect == "postgresql":
        assert "ix_generations_search" in text, text
    else:
        assert "VIRTUAL TABLE INDEX" in text and "generations_fts" in text, text
