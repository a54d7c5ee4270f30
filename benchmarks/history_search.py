"""History search benchmark (not a test): 100,000 generations, SQLite and
PostgreSQL.

    .venv/bin/python benchmarks/history_search.py

For each database it seeds one user's history with ``--rows`` generations
(default 100,000: COPY on PostgreSQL, inserts of 5,000 rows and one FTS5
fill on SQLite, then ANALYZE), and times
``resolvers.generation_history.list_generations`` (the resolver behind
``GET /v1/generate/history`` and the ``generations`` query: count, then the
newest 20 of page 1) for ``--searches`` searches in each band of words:

- ``common``: a word in about 8% of the generations;
- ``medium``: about 1%;
- ``rare``: about 0.2%;
- ``two words``: a common and a medium word, both required.

Beside them, in the same run, on the same rows:

- ``no search (floor)``: the same resolver call without ``search``, the plain
  indexed lookup on ``(user_id, created_at)``; what a history page costs
  before any searching;
- ``LIKE scan (medium)``: the same page with ``title || ' ' || content LIKE
  '%word%'`` in place of the full-text clause, through the same pagination
  code; the unindexed scan the index saves (``--like-searches`` of them).

Each timing opens a session, as a request does. The text is made of
synthetic words drawn with a Zipf distribution from a fixed seed, so every run
searches the same corpus. SQLite is a fresh file in a temporary folder;
PostgreSQL is a database of its own (``harvest_bench_history_<pid>``) created
on the server of ``HARVEST_BENCH_DATABASE_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``, loopback only) and
dropped at the end. The table is printed and the figures are written to
``benchmarks/results/history_search.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import itertools
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harvest.app import create_app  # noqa: E402
from harvest.settings import Settings  # noqa: E402
from models.generation import Generation  # noqa: E402
from models.migrations import upgrade  # noqa: E402
from models.user import User  # noqa: E402
from resolvers.auth_tokens import issue_access_token  # noqa: E402
from resolvers.context import RequestContext  # noqa: E402
from resolvers.generation_history import (  # noqa: E402
    list_generations,
    search_clause,
    search_terms,
)
from resolvers.pagination import PageRequest, paginate  # noqa: E402

PG_URL = os.environ.get(
    "HARVEST_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
SEARCH_MIGRATION = importlib.import_module(
    "models.migrations.versions.0002_generation_search"
)
RESULTS = ROOT / "benchmarks" / "results" / "history_search.json"
SEED = 20261204
VOCABULARY = 5_000
TITLE_WORDS = 6
CONTENT_WORDS = 80
BATCH = 5_000
COPY_TIMEOUT = 600
WARMUP = 5
FORMATS = ("blog", "email", "summary", "social_post", "product_description")
# Word ranks (0-based, most frequent first) of each band of search words.
BANDS = {"common": (60, 160), "medium": (800, 1_200), "rare": (3_800, 5_000)}
USER_ID = "usr_benchhistory0001"
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
Timer = Callable[[str], Awaitable[int]]


def vocabulary() -> list[str]:
    """Distinct synthetic words, most frequent first."""
    rng = random.Random(SEED)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Corpus:
    """Titles and contents drawn from the vocabulary with Zipf weights."""

    def __init__(self) -> None:
        self.words = vocabulary()
        self.cumulative = list(
            itertools.accumulate(1 / rank for rank in range(1, VOCABULARY + 1))
        )
        self.rng = random.Random(SEED + 1)

    def draw(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def band(self, name: str, count: int) -> list[str]:
        low, high = BANDS[name]
        rng = random.Random(f"{SEED}-{name}")
        return [self.words[rng.randrange(low, high)] for _ in range(count)]


def generation_rows(rows: int, user_id: str = USER_ID) -> list[dict[str, Any]]:
    """Completed generations over the past year, oldest first."""
    corpus = Corpus()
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / rows
    width = TITLE_WORDS + CONTENT_WORDS
    words = corpus.draw(rows * width)
    seeded = []
    for index in range(rows):
        drawn = words[index * width : (index + 1) * width]
        title = " ".join(drawn[:TITLE_WORDS]).capitalize()
        body = drawn[TITLE_WORDS : TITLE_WORDS + CONTENT_WORDS]
        content = (
            f"# {title}\n\n"
            + " ".join(body[:40]).capitalize()
            + ".\n\n## "
            + " ".join(body[40:44]).capitalize()
            + "\n\n"
            + " ".join(body[44:]).capitalize()
            + "."
        )
        created = start + step * index
        seeded.append(
            {
                "id": f"gen_bench{index:011d}",
                "user_id": user_id,
                "format": FORMATS[index % len(FORMATS)],
                "status": "completed",
                "model": "offline-writer",
                "input": title,
                "options": {"length": "medium"},
                "metadata": {},
                "title": title,
                "content": content,
                "word_count": len(content.split()),
                "tokens_used": len(content) // 4,
                "prompt_tokens": 40,
                "completion_tokens": len(content) // 4 - 40,
                "processing_time_ms": 900,
                "created_at": created,
                "updated_at": created,
                "completed_at": created,
            }
        )
    return seeded


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def loopback_only(url: str) -> None:
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing a non-loopback database host: {host}")


def pg_dsn(url: str, database: str) -> str:
    parsed = urlparse(url.replace("postgresql+asyncpg", "postgresql"))
    return urlunparse(parsed._replace(path=f"/{database}"))


async def pg_admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(pg_dsn(url, "postgres"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def seed(ctx: RequestContext, data: list[dict[str, Any]]) -> float:
    """Bulk-load the generations; seconds taken, the full-text index and
    ANALYZE included."""
    started = time.perf_counter()
    async with ctx.db.session() as session:
        if ctx.db.dialect == "postgresql":
            await copy_rows(session, data)
        else:
            await insert_rows_sqlite(session, data)
        await session.commit()
    async with ctx.db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        if ctx.db.dialect == "postgresql":
            # Past the engine's 30 s statement timeout on a busy machine.
            raw = await conn.get_raw_connection()
            await raw.driver_connection.execute(  # type: ignore[union-attr]
                "VACUUM ANALYZE generations", timeout=COPY_TIMEOUT
            )
        else:
            await conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


async def copy_rows(session: AsyncSession, data: list[dict[str, Any]]) -> None:
    """COPY the rows in; the GIN index is kept up to date as they arrive."""
    columns = list(data[0])
    records = [
        tuple(json.dumps(v) if isinstance(v, dict) else v for v in row.values())
        for row in data
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        "generations", records=records, columns=columns, timeout=COPY_TIMEOUT
    )


async def insert_rows_sqlite(session: AsyncSession, data: list[dict[str, Any]]) -> None:
    """Insert the rows, then fill the FTS5 table in one statement.

    The trigger of migration 0002 indexes one row at a time, about three times
    slower in bulk; it is dropped for the load and made again from the
    migration's own statement, so later changes are indexed as in production.
    """
    trigger = next(sql for sql in SEARCH_MIGRATION.SQLITE if "fts_insert" in sql)
    table = Generation.__table__  # type: ignore[attr-defined]
    await session.execute(sa.text("DROP TRIGGER generations_fts_insert"))
    for offset in range(0, len(data), BATCH):
        await session.execute(sa.insert(table), data[offset : offset + BATCH])
    await session.execute(
        sa.text(
            "INSERT INTO generations_fts (gid, title, content) "
            "SELECT id, title, content FROM generations"
        )
    )
    await session.execute(sa.text(trigger))


def resolver_timer(ctx: RequestContext) -> Timer:
    """Time one history page through the real resolver; matches found."""

    async def run(search: str) -> int:
        async with ctx.db.session() as session:
            _, page = await list_generations(
                session, ctx=ctx, search=search or None, limit=20
            )
        return page.total_items

    return run


def like_timer(ctx: RequestContext, user_id: str) -> Timer:
    """The same page with an unindexed LIKE scan in place of full text."""
    haystack = sa.func.lower(col(Generation.title) + " " + col(Generation.content))

    async def run(word: str) -> int:
        query = select(Generation).where(
            col(Generation.user_id) == user_id, haystack.like(f"%{word}%")
        )
        async with ctx.db.session() as session:
            _, page = await paginate(
                session,
                query,
                page=PageRequest.of(limit=20),
                columns={
                    "created_at": col(Generation.created_at),
                    "id": col(Generation.id),
                },
            )
        return page.total_items

    return run


async def measure(timer: Timer, searches: list[str]) -> dict[str, Any]:
    for search in searches[:WARMUP]:
        await timer(search)
    times, matches = [], []
    for search in searches:
        started = time.perf_counter()
        matches.append(await timer(search))
        times.append((time.perf_counter() - started) * 1000)
    return {
        "searches": len(searches),
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(percentile(times, 99), 2),
        "max_ms": round(max(times), 2),
        "mean_matches": round(statistics.mean(matches), 1),
    }


async def bench(
    url: str, data: list[dict[str, Any]], searches: int, like_searches: int
) -> dict[str, Any]:
    """Seed and time one database."""
    with tempfile.TemporaryDirectory() as var_dir:
        settings = Settings(
            env="test",
            var_dir=Path(var_dir),
            database_url=url,
            secret_key="benchmark-secret-" + "x" * 40,
            public_url="http://127.0.0.1:8000",
            run_workers=False,
        )
        app = create_app(settings, auto_migrate=False)
        async with app.router.lifespan_context(app):
            parts = app.state.parts
            user = User(
                id=USER_ID,
                email="bench@example.com",
                name="Bench",
                subscription_tier="pro",
            )
            async with parts.db.session() as session:
                session.add(user)
                await session.commit()
            token, _ = issue_access_token(parts.config, user)
            ctx = await parts.contexts.build(
                token=token, client_ip="127.0.0.1", surface="rest"
            )
            seconds = await seed(ctx, data)
            corpus = Corpus()
            common = corpus.band("common", searches)
            medium = corpus.band("medium", searches)
            timer = resolver_timer(ctx)
            results = {
                "no search (floor)": await measure(timer, [""] * searches),
                "common": await measure(timer, common),
                "medium": await measure(timer, medium),
                "rare": await measure(timer, corpus.band("rare", searches)),
                "two words": await measure(
                    timer, [f"{c} {m}" for c, m in zip(common, medium, strict=True)]
                ),
                "LIKE scan (medium)": await measure(
                    like_timer(ctx, user.id), medium[:like_searches]
                ),
            }
            version = await server_version(ctx)
            plan = await search_plan(ctx, user.id, medium[0])
    return {
        "seed_seconds": round(seconds, 1),
        "version": version,
        "cases": results,
        "search_plan": plan,
    }


async def search_plan(ctx: RequestContext, user_id: str, word: str) -> list[str]:
    """How the database answers the search's count, for the record."""
    dialect = ctx.db.dialect
    query = (
        sa.select(sa.func.count())
        .select_from(Generation)
        .where(
            col(Generation.user_id) == user_id,
            search_clause(dialect, search_terms(word)),
        )
    )
    async with ctx.db.session() as session:
        assert session.bind is not None
        statement = query.compile(
            dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
        )
        explain = "EXPLAIN" if dialect == "postgresql" else "EXPLAIN QUERY PLAN"
        rows = await session.execute(sa.text(f"{explain} {statement}"))
        return [str(row[-1]).strip() for row in rows]


async def server_version(ctx: RequestContext) -> str:
    async with ctx.db.session() as session:
        if ctx.db.dialect == "postgresql":
            return str(await session.scalar(sa.text("SHOW server_version")))
        return "SQLite " + sqlite3.sqlite_version


def run_sqlite(
    data: list[dict[str, Any]], searches: int, like_searches: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        upgrade(url)
        return asyncio.run(bench(url, data, searches, like_searches))


def run_postgresql(
    data: list[dict[str, Any]], searches: int, like_searches: int
) -> dict[str, Any]:
    loopback_only(PG_URL)
    name = f"harvest_bench_history_{os.getpid()}"
    asyncio.run(pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(pg_admin(PG_URL, f'CREATE DATABASE "{name}"'))
    try:
        url = urlunparse(urlparse(PG_URL)._replace(path=f"/{name}"))
        upgrade(url)
        return asyncio.run(bench(url, data, searches, like_searches))
    finally:
        asyncio.run(pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def print_table(figures: dict[str, dict[str, Any]]) -> None:
    header = (
        f"{'database':<11} {'search':<20} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'matches':>8}"
    )
    print(header)
    print("-" * len(header))
    for database, result in figures.items():
        for case, row in result["cases"].items():
            print(
                f"{database:<11} {case:<20} {row['searches']:>4} "
                f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['max_ms']:>8.2f} "
                f"{row['mean_matches']:>8.1f}"
            )
        print(
            f"{database:<11} seeded in {result['seed_seconds']} s ({result['version']})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=100)
    parser.add_argument("--like-searches", type=int, default=10)
    parser.add_argument(
        "--only", choices=("sqlite", "postgresql"), help="run one database"
    )
    options = parser.parse_args()
    runners = {"sqlite": run_sqlite, "postgresql": run_postgresql}
    started = time.perf_counter()
    data = generation_rows(options.rows)
    print(
        f"{options.rows:,} generations written in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    figures = {}
    for name, runner in runners.items():
        if options.only in (None, name):
            print(f"{name}: seeding and searching ...", flush=True)
            figures[name] = runner(data, options.searches, options.like_searches)
    print_table(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "history_search",
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rows": options.rows,
        "page_limit": 20,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "databases": figures,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
