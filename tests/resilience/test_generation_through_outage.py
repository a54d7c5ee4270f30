"""A generation whose database goes away while it runs is neither cancelled
nor lost: the runner's cancel watcher treats a failed look as no cancel, and
the outcome is stored once the database is back (PostgreSQL behind the test
proxy; the embedded SQLite file cannot be cut)."""

from __future__ import annotations

import asyncio

import httpx

from tests.peers.tcp_proxy import TcpProxy
from tests.resilience.test_faults import account, pg_proxied
from tests.subscriptions.test_sse_resume import sse_events
from tests.support import LiveServer

__all__ = ["pg_proxied"]  # the fixture, shared with test_faults

# Longer than the runner's status poll (2 s), so the poll meets the outage,
# and longer than a short offline generation, so it ends during the outage.
CUT_SECONDS = 5.0
BLOG = {"format": "blog", "input": "Community solar", "options": {"length": "short"}}
TERMINAL = ("complete", "error", "cancelled")


async def test_a_generation_through_a_database_cut_completes_and_is_stored(
    pg_proxied: tuple[LiveServer, TcpProxy],
) -> None:
    server, proxy = pg_proxied
    headers = {"Authorization": f"Bearer {account(server)}"}
    kinds: list[str] = []
    chunks: list[str] = []
    restored: asyncio.Task[None] | None = None

    async def restore_later() -> None:
        await asyncio.sleep(CUT_SECONDS)
        proxy.restore()

    async with (
        asyncio.timeout(60),  # a stream left without its end would wait forever
        httpx.AsyncClient(base_url=server.url, headers=headers, timeout=120) as http,
    ):
        async with http.stream("POST", "/v1/generate/stream", json=BLOG) as answer:
            assert answer.status_code == 200
            async for event, _, data in sse_events(answer):
                kinds.append(event)
                if event == "start":
                    generation_id = data["generation_id"]
                if event == "progress":
                    chunks.append(data["chunk"])
                    if restored is None:
                        proxy.cut()
                        restored = asyncio.create_task(restore_later())
                if event in TERMINAL:
                    break
        assert restored is not None
        await restored
        query = "query($id: ID!) { generation(id: $id) { status content } }"
        answer = await http.post(
            "/graphql", json={"query": query, "variables": {"id": generation_id}}
        )
        stored = answer.json()["data"]["generation"]

    assert kinds[-1] == "complete", kinds[-3:]
    assert stored["status"] == "completed"
    assert stored["content"] == "".join(chunks)
