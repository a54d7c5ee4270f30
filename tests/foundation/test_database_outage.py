"""A database that goes away answers 503 in the envelope, then recovers alone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlparse, urlunparse

import httpx
import pytest

from harvest.settings import Settings
from tests.conftest import PG_URL
from tests.peers.tcp_proxy import TcpProxy
from tests.support import LiveServer

pytestmark = pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL")


@pytest.fixture
def proxied_server(settings: Settings) -> Iterator[tuple[LiveServer, TcpProxy]]:
    parsed = urlparse(settings.database_url)
    proxy = TcpProxy(parsed.hostname or "127.0.0.1", parsed.port or 5432)
    proxy.start()
    netloc = parsed.netloc.replace(
        f"{parsed.hostname}:{parsed.port}", f"127.0.0.1:{proxy.port}"
    )
    url = urlunparse(parsed._replace(netloc=netloc))
    server = LiveServer(
        replace(settings, database_url=url, db_connect_timeout_seconds=2)
    )
    server.start()
    yield server, proxy
    server.stop()
    proxy.close()


def test_requests_during_an_outage_answer_503_then_succeed_after_it(
    proxied_server: tuple[LiveServer, TcpProxy],
) -> None:
    server, proxy = proxied_server
    with httpx.Client(base_url=server.url, timeout=15) as http:
        assert http.get("/readyz").status_code == 200

        proxy.cut()
        started = time.monotonic()
        during = http.get("/readyz")
        elapsed = time.monotonic() - started

        assert during.status_code == 503
        assert during.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert elapsed < 8

        api = http.post(
            "/graphql",
            json={"query": "{ serverInfo { apiVersion } }"},
            headers={"Authorization": "Bearer hv_" + "x" * 40},
        )

        assert api.status_code == 503
        assert api.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert api.headers["retry-after"]

        proxy.restore()
        after = http.get("/readyz")
        api_after = http.post(
            "/graphql",
            json={"query": "{ serverInfo { apiVersion } }"},
            headers={"Authorization": "Bearer hv_" + "x" * 40},
        )

        assert after.status_code == 200
        assert api_after.status_code == 200
