"""The client SDKs against a live server.

``clients/python/src`` goes on ``sys.path``, so these tests use the package as
it is in the tree, without an install step.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvest.settings import Settings
from tests import support
from tests.conftest import REDIS_URL
from tests.peers.openai_server import OpenAIPeer, running_openai_peer

ROOT = Path(__file__).resolve().parents[2]
PYTHON_SDK = ROOT / "clients" / "python" / "src"
if str(PYTHON_SDK) not in sys.path:
    sys.path.insert(0, str(PYTHON_SDK))

PEER_MODELS = ("gpt-4", "peer-filter", "peer-slow", "peer-error", "peer-ratelimit")
LIMITS = {
    "auth": {"requests_per_minute": 1000},
    "anonymous": {"requests_per_minute": 1000},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Credential routes unthrottled per address: each test signs up users."""
    return settings.with_overrides(rate_limits=LIMITS)


@pytest.fixture(scope="module")
def shared_server(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    pg_database: str | None,
) -> Iterator[support.LiveServer]:
    """One live server for a whole module, whose tests each sign up their own
    users: starting one per test would cost more than the tests."""
    folder = tmp_path_factory.mktemp("sdk")
    if pg_database is not None:
        url = pg_database
    else:
        shutil.copy(sqlite_template, folder / "harvest.db")
        url = f"sqlite+aiosqlite:///{folder / 'harvest.db'}"
    server = support.LiveServer(
        Settings(
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
    )
    server.start()
    yield server
    server.stop()
    if pg_database is not None:
        support.truncate_pg(pg_database)


@pytest.fixture
def openai_peer() -> Iterator[OpenAIPeer]:
    with running_openai_peer() as peer:
        yield peer


@pytest.fixture
def peer_server(
    settings: Settings, openai_peer: OpenAIPeer
) -> Iterator[support.LiveServer]:
    """A live server whose models (``gpt-4`` and the peer's) are the OpenAI peer."""
    server = support.LiveServer(
        settings.with_overrides(
            openai_api_key="sk-peer",
            openai_base_url=openai_peer.url,
            openai_models=PEER_MODELS,
            model_timeout_seconds=0.5,
        )
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def slow_server(settings: Settings) -> Iterator[support.LiveServer]:
    """A live server whose offline writer takes 30 ms a chunk."""
    server = support.LiveServer(
        settings.with_overrides(offline_writer_delay_seconds=0.03)
    )
    server.start()
    yield server
    server.stop()
