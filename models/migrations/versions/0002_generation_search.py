"""full-text search over generations

Written by hand: autogenerate knows neither FTS5 nor expression indexes.
PostgreSQL gets a GIN index over the English text vector of title and
content; SQLite gets an FTS5 table kept in step by triggers. The FTS table
stores each generation's id as a single token (``_`` is a token character),
so a trigger finds a row's entry through the index instead of a scan.

Revision ID: 0002_generation_search
Revises: 0001_initial
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002_generation_search"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_generations_search ON generations "
    "USING gin (to_tsvector('english', title || ' ' || content))"
)

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS generations_fts USING fts5("
    "gid, title, content, tokenize = \"porter unicode61 tokenchars '_'\")",
    "CREATE TRIGGER IF NOT EXISTS generations_fts_insert AFTER INSERT ON generations "
    "BEGIN INSERT INTO generations_fts (gid, title, content) "
    "VALUES (new.id, new.title, new.content); END",
    "CREATE TRIGGER IF NOT EXISTS generations_fts_update "
    "AFTER UPDATE OF title, content ON generations "
    "BEGIN DELETE FROM generations_fts WHERE generations_fts MATCH "
    "'gid : \"' || old.id || '\"'; "
    "INSERT INTO generations_fts (gid, title, content) "
    "VALUES (new.id, new.title, new.content); END",
    "CREATE TRIGGER IF NOT EXISTS generations_fts_delete AFTER DELETE ON generations "
    "BEGIN DELETE FROM generations_fts WHERE generations_fts MATCH "
    "'gid : \"' || old.id || '\"'; END",
    "INSERT INTO generations_fts (gid, title, content) "
    "SELECT id, title, content FROM generations",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_INDEX)
        return
    for statement in SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_generations_search")
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS generations_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS generations_fts")
