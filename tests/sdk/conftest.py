"""The client SDKs against a live server.

``clients/python/src`` goes on ``sys.path``, so these tests use the package as
it is in the tree, without an install step.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harvest.settings import Settings
from tests import support
from tests.conftest import PG_URL, REDIS_URL
from tests.peers.openai_server import running_openai_peer

ROOT = Path(__file__).resolve().parents[2]
PYTHON_SDK = ROOT / "clients" / "python" / "src"
if str(PYTHON_SDK) not in sys.path:
    sys.path.insert(0, str(PYTHON_SDK))

PEER_MODELS = ("gpt-4", "peer-filter", "peer-slow", "peer-error", "peer-empty")
LIMITS = {
    "auth": {"requests_per_minute": 1000},
    "anonymous": {"requests_per_minute": 1000},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Credential routes unthrottled per address: each test signs up users."""
    return settings.with_overrides(rate_limits=LIMITS)


@pytest.fixture(scope="session")
def sdk_pg_database() -> Iterator[str | None]:
    """A PostgreSQL database for the shared servers alone, kept for the whole
    session (the rest of the suite truncates its own after each test)."""
    if PG_URL is None:
        yield None
        return
    name = f"harvest_sdk_{os.getpid()}"
    url = support.create_pg_database(PG_URL, name)
    support.migrate(url)
    yield url
    support.drop_pg_database(PG_URL, name)


@contextmanager
def session_server(
    folder: Path, sqlite_template: Path, pg_database: str | None, **overrides: Any
) -> Iterator[support.LiveServer]:
    """A live server kept for the session, on a database of its own."""
    if pg_database is not None:
        url = pg_database
    else:
        shutil.copy(sqlite_template, folder / "harvest.db")
        url = f"sqlite+aiosqlite:///{folder / 'harvest.db'}"
    settings = Settings(
        env="test",
        var_dir=folder / "var",
        database_url=url,
        redis_url=REDIS_URL,
        secret_key="test-secret-" + "x" * 40,
        webhook_allow_private=True,
        rate_limit_namespace=uuid.uuid4().hex[:12],
        rate_limits=LIMITS,
        offline_writer_delay_seconds=0.0,
    )
    server = support.LiveServer(settings.with_overrides(**overrides))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def shared_server(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    sdk_pg_database: str | None,
) -> Iterator[support.LiveServer]:
    """One live server for every SDK test that signs up its own users:
    starting one per test, or per module (pytest-xdist interleaves modules),
    would cost more than the tests."""
    folder = tmp_path_factory.mktemp("sdk")
    with session_server(folder, sqlite_template, sdk_pg_database) as server:
        yield server


@pytest.fixture(scope="session")
def shared_peer_server(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    sdk_pg_database: str | None,
) -> Iterator[support.LiveServer]:
    """Like ``shared_server``, with ``gpt-4`` and the peer's models served by
    the OpenAI peer (a 0.5 s model timeout, for TIMEOUT)."""
    folder = tmp_path_factory.mktemp("sdk-peer")
    with (
        running_openai_peer() as peer,
        session_server(
            folder,
            sqlite_template,
            sdk_pg_database,
            openai_api_key="sk-peer",
            openai_base_url=peer.url,
            openai_models=PEER_MODELS,
            model_timeout_seconds=0.5,
        ) as server,
    ):
        yield server


@pytest.fixture
def slow_server(settings: Settings) -> Iterator[support.LiveServer]:
    """A live server whose offline writer takes 30 ms a chunk."""
    server = support.LiveServer(
        settings.with_overrides(offline_writer_delay_seconds=0.03)
    )
    server.start()
    yield server
    server.stop()


def _sources_digest(folder: Path) -> str:
    """One hash of what a TypeScript build is made from."""
    digest = hashlib.sha256()
    names = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.test.json"]
    paths = [folder / name for name in names]
    for part in ("src", "test", "examples"):
        paths += sorted((folder / part).rglob("*.ts"))
    for path in paths:
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="session")
def typescript_build() -> Path:
    """clients/typescript installed (``npm ci``) and built (``npm run build``).

    Test processes (pytest-xdist) take turns under a file lock, and a build
    whose sources have not changed is reused, so one process never rebuilds
    while another runs the tests.
    """
    from tests.sdk.helpers import NPM, TYPESCRIPT_SDK, run_in_typescript_sdk

    if NPM is None:
        pytest.skip("npm is not installed")
    lock_digest = hashlib.sha256(
        (TYPESCRIPT_SDK / "package-lock.json").read_bytes()
    ).hexdigest()
    installed = TYPESCRIPT_SDK / "node_modules" / ".harvest-lock-sha256"
    built = TYPESCRIPT_SDK / "dist-test" / ".harvest-sources-sha256"
    with open(TYPESCRIPT_SDK / ".harvest-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.exists() or installed.read_text() != lock_digest:
            run_in_typescript_sdk(NPM, "ci", "--no-audit", "--no-fund")
            installed.write_text(lock_digest)
        sources = _sources_digest(TYPESCRIPT_SDK)
        if not built.exists() or built.read_text() != sources:
            run_in_typescript_sdk(NPM, "run", "build")
            built.write_text(sources)
    return TYPESCRIPT_SDK
