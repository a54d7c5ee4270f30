"""History search runs on the database's full-text index: the GIN index on
PostgreSQL, the FTS5 table on SQLite."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette

from resolvers.generation_history import (
    list_generations,
    search_clause,
    search_terms,
)
from tests.factories import make_user
from tests.generation.factories import make_generation


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


async def test_history_page_with_a_search_takes_its_rows_from_the_index(
    app: Starlette,
) -> None:
    parts = app.state.parts
    user = await make_user(app)
    for index in range(30):
        words = "solar turbines" if index % 10 == 0 else "pasta recipes"
        await make_generation(app, user, content=f"# Note {index}\n\n{words}")
    ctx = await parts.contexts.build(token=user.token, client_ip=None, surface="rest")
    executed: list[tuple[str, Any]] = []

    def capture(
        conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> None:
        executed.append((statement, parameters))

    engine = parts.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        async with parts.db.session() as session:
            rows, page = await list_generations(session, ctx=ctx, search="solar")
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    [(statement, parameters)] = [
        e for e in executed if "FROM generations" in e[0] and "LIMIT" in e[0]
    ]

    async with parts.db.session() as session:
        connection = await session.connection()
        if parts.db.dialect == "postgresql":
            # On a small table a scan is cheapest; the plan without one shows
            # which index the order comes from.
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        plan = await connection.exec_driver_sql(explain + statement, parameters)
        text = "\n".join(str(row[-1]) for row in plan)

    assert page.total_items == 3 and len(rows) == 3
    if parts.db.dialect == "postgresql":
        # Not the plan that reads the history in created_at order and runs
        # to_tsvector on every row on the way.
        assert "ix_generations_created_at" not in text, text
        assert "ix_generations_user_created" not in text, text
        assert "Sort Key" in text, text
    else:
        assert "generations_fts VIRTUAL TABLE INDEX" in text, text
