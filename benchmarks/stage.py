"""The stage a run plays on: a fresh database, seeded callers and generations,
and the programs to measure (``harvest serve``, the model server, the floors).

``sqlite`` is the embedded setup (a SQLite file, in-process broadcast and
limits); ``postgres`` is the scaled one (PostgreSQL for state, Redis for
broadcast and shared counters).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import orjson

from benchmarks.harness import HOST, Process, free_port
from models.base import utcnow
from models.db import Database
from models.generation import Generation, GenerationVersion
from models.user import User
from resolvers.auth_tokens import issue_access_token
from resolvers.context import AppConfig
from tests.support import create_pg_database, drop_pg_database, migrate

SECRET = "benchmark-secret-" + "b" * 48
PG_URL = os.environ.get(
    "HARVEST_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HARVEST_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_DATABASE = "harvest_bench"
PEER_MODEL = "peer-echo"
USERS = 40
LISTED = 100
# Far above what a run asks for, so that the limits never answer 429; the
# limits are still checked and counted on every request.
LIMITS = {
    name: 1_000_000_000
    for name in (
        "requests_per_minute",
        "generations_per_hour",
        "concurrent_generations",
        "websocket_connections",
    )
}
CONTENT = (
    "# Solar in 2030\n\nPanels keep getting cheaper, storage is catching up, "
    "and the grid is learning to follow the sun. " * 6
)


@dataclass
class Stage:
    """One backend's database and callers; starts the programs of a run."""

    backend: str
    work: Path
    database_url: str = ""
    redis_url: str | None = None
    tokens: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    generation_id: str = ""
    peer_url: str = ""
    team_id: str = ""
    team_generation_id: str = ""  # running, visible to every team member
    team_owner_id: str = ""
    processes: list[Process] = field(default_factory=list)
    keep: bool = False  # keep programs running from one benchmark to the next
    kept: dict[tuple[object, ...], tuple[Process, str]] = field(default_factory=dict)

    @classmethod
    async def open(cls, backend: str) -> Stage:
        stage = cls(backend, Path(tempfile.mkdtemp(prefix=f"harvest-bench-{backend}-")))
        if backend == "sqlite":
            stage.database_url = f"sqlite+aiosqlite:///{stage.work / 'bench.db'}"
        else:
            stage.database_url = await asyncio.to_thread(
                create_pg_database, PG_URL, PG_DATABASE
            )
            stage.redis_url = REDIS_URL
        await asyncio.to_thread(migrate, stage.database_url)
        await stage._seed()
        return stage

    async def _seed(self) -> None:
        """Enterprise callers; the first has one generation with two versions
        and ``LISTED`` generations in all."""
        db = Database(self.database_url)
        config = AppConfig(secret_key=SECRET, public_url=f"http://{HOST}")
        users = [
            User(
                email=f"bench{n}@example.com",
                name="Bench",
                subscription_tier="enterprise",
            )
            for n in range(USERS)
        ]
        now = utcnow()
        rows = [
            Generation(
                user_id=users[0].id,
                format="blog",
                status="completed",
                model=PEER_MODEL,
                input="renewable energy",
                options={"length": "medium", "tone": "professional"},
                meta={"campaign": "bench"},
                title="Solar in 2030",
                content=CONTENT,
                word_count=len(CONTENT.split()),
                tokens_used=180,
                processing_time_ms=900,
                created_at=now - timedelta(seconds=n),
                completed_at=now - timedelta(seconds=n),
            )
            for n in range(LISTED)
        ]
        versions = [
            GenerationVersion(
                generation_id=rows[0].id, version=v, content=CONTENT, source="generated"
            )
            for v in (1, 2)
        ]
        async with db.session() as session:
            session.add_all(users)
            await session.flush()
            session.add_all(rows)
            await session.flush()
            session.add_all(versions)
            await session.commit()
        await db.dispose()
        self.tokens = [issue_access_token(config, user)[0] for user in users]
        self.user_ids = [user.id for user in users]
        self.generation_id = rows[0].id

    async def more_callers(self, count: int) -> list[str]:
        """``count`` more enterprise callers, all in one team, and a running
        generation of that team; their tokens."""
        from models.base import new_id
        from models.team import Membership, Team

        db = Database(self.database_url)
        config = AppConfig(secret_key=SECRET, public_url=f"http://{HOST}")
        users = [
            User(email=f"{new_id('b', 10)}@example.com", subscription_tier="enterprise")
            for _ in range(count)
        ]
        team = Team(name="Bench", owner_id=users[0].id, invite_code=new_id("inv", 12))
        async with db.session() as session:
            session.add_all(users)
            await session.flush()
            session.add(team)
            await session.flush()
            session.add_all(
                Membership(
                    team_id=team.id, user_id=u.id, role="owner" if n == 0 else "viewer"
                )
                for n, u in enumerate(users)
            )
            await session.commit()
            running = Generation(
                user_id=users[0].id,
                team_id=team.id,
                format="blog",
                status="running",
                model=PEER_MODEL,
                input="renewable energy",
            )
            session.add(running)
            await session.commit()
        await db.dispose()
        self.team_id = team.id
        self.team_owner_id = users[0].id
        self.team_generation_id = running.id
        return [issue_access_token(config, user)[0] for user in users]

    async def new_team_generation(self) -> str:
        """A fresh running generation of the benchmark team (an empty chunk log)."""
        db = Database(self.database_url)
        row = Generation(
            user_id=self.team_owner_id,
            team_id=self.team_id,
            format="blog",
            status="running",
            model=PEER_MODEL,
            input="renewable energy",
        )
        async with db.session() as session:
            session.add(row)
            await session.commit()
        await db.dispose()
        return row.id

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of ``harvest serve`` (and of the floors)."""
        values = {
            "HARVEST_DATABASE_URL": self.database_url,
            "HARVEST_SECRET_KEY": SECRET,
            "HARVEST_VAR_DIR": str(self.work / "var"),
            "HARVEST_NO_WORKERS": "true",
            "HARVEST_LOG_LEVEL": "WARNING",
            "HARVEST_RATE_LIMITS": orjson.dumps({"enterprise": LIMITS}).decode(),
            "HARVEST_RATE_LIMIT_NAMESPACE": "bench",
            "HARVEST_REDIS_URL": self.redis_url or "",
        }
        if self.peer_url:
            values |= {
                "OPENAI_API_KEY": "sk-bench",
                "OPENAI_BASE_URL": self.peer_url,
                "HARVEST_OPENAI_MODELS": PEER_MODEL,
                "HARVEST_DEFAULT_MODEL": PEER_MODEL,
            }
        return {**values, **extra}

    def log(self, name: str) -> Path:
        return self.work / f"{name}.log"

    def start(self, process: Process) -> Process:
        self.processes.append(process.start())
        return process

    def _reused(self, key: tuple[object, ...]) -> tuple[Process, str] | None:
        """A program started earlier with the same arguments, when the stage
        keeps programs between benchmarks (the smoke pass: fewer starts)."""
        found = self.kept.get(key) if self.keep else None
        if found is None or found[0].popen is None or found[0].popen.poll() is not None:
            return None
        return found

    def _started(
        self, key: tuple[object, ...], process: Process, url: str
    ) -> tuple[Process, str]:
        self.start(process)
        self.kept[key] = (process, url)
        return process, url

    def harvest(self, *, fresh: bool = False, **extra: str) -> tuple[Process, str]:
        """``harvest serve`` on the server core; its base URL. ``fresh``: never
        one kept from an earlier benchmark."""
        key = ("harvest", *sorted(self.env(**extra).items()))
        found = None if fresh else self._reused(key)
        if found is not None:
            return found
        port = free_port()
        args = ["-m", "harvest.cli", "serve", "--host", HOST, "--port", str(port)]
        program = None
        profile = os.environ.get("HARVEST_BENCH_PROFILE")
        if profile:
            # Sampled by py-spy: collapsed stacks, one file per server started.
            out = Path(profile) / f"harvest-{self.backend}-{port}.txt"
            program = str(Path(sys.executable).parent / "py-spy")
            spy = ["record", "-r", "200", "--format", "raw", "-o", str(out)]
            if os.environ.get("HARVEST_BENCH_PROFILE_IDLE"):
                spy.append("--idle")
            args = [*spy, "--", sys.executable, *args]
        process = Process(
            args,
            program=program,
            env=self.env(**extra),
            health=f"http://{HOST}:{port}/healthz",
            log=self.log("harvest"),
        )
        return self._started(key, process, f"http://{HOST}:{port}")

    def publisher(self, **extra: str) -> tuple[Process, str]:
        """``harvest serve``'s app plus a publish route (benchmark 8)."""
        port = free_port()
        process = Process(
            ["-m", "benchmarks.publisher", "--port", str(port)],
            env=self.env(**extra),
            health=f"http://{HOST}:{port}/healthz",
            log=self.log("publisher"),
        )
        return self.start(process), f"http://{HOST}:{port}"

    def floor(
        self, module: str, *args: str, fresh: bool = False
    ) -> tuple[Process, str]:
        """A floor program (``benchmarks.floors.<module>``) on the server core."""
        key = ("floor", module, *args, *sorted(self.env().items()))
        found = None if fresh else self._reused(key)
        if found is not None:
            return found
        port = free_port()
        process = Process(
            ["-m", f"benchmarks.floors.{module}", "--port", str(port), *args],
            env=self.env(),
            health=f"http://{HOST}:{port}/healthz",
            log=self.log(module),
        )
        return self._started(key, process, f"http://{HOST}:{port}")

    def model_server(self, *, silent_seconds: float | None = None) -> str:
        """The loopback OpenAI-compatible server, on the load generator's core
        (it stands for a model server on another machine); its /v1 URL."""
        found = self._reused(("peer", silent_seconds))
        if found is not None:
            self.peer_url = found[1]
            return self.peer_url
        port = free_port()
        args = ["-m", "benchmarks.peer", "--port", str(port)]
        if silent_seconds is not None:
            args += ["--silent-seconds", str(silent_seconds)]
        process = Process(
            args,
            # The peer has no health route: any answer but a 5xx will do.
            health=f"http://{HOST}:{port}/v1/chat/completions",
            log=self.log("peer"),
            core=1,
        )
        self._started(("peer", silent_seconds), process, f"http://{HOST}:{port}/v1")
        self.peer_url = f"http://{HOST}:{port}/v1"
        return self.peer_url

    def stop_all(self, *, kept_too: bool = False) -> None:
        """Stop the programs of a benchmark (those kept for later ones too,
        with ``kept_too`` or when the stage keeps none)."""
        keep = self.keep and not kept_too
        kept = {id(process) for process, _ in self.kept.values()} if keep else set()
        for process in reversed(self.processes):
            if id(process) not in kept:
                process.stop()
        self.processes = [p for p in self.processes if id(p) in kept]
        if not keep:
            self.kept.clear()

    async def close(self) -> None:
        self.stop_all(kept_too=True)
        if self.backend == "postgres":
            await asyncio.to_thread(drop_pg_database, PG_URL, PG_DATABASE)
        if not os.environ.get("HARVEST_BENCH_KEEP"):
            shutil.rmtree(self.work, ignore_errors=True)
