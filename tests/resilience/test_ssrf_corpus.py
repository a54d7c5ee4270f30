"""SSRF with HARVEST_WEBHOOK_ALLOW_PRIVATE unset: a corpus of webhook URLs is
refused at registration and, stored behind the guard's back, at delivery; the
listeners on the loopback addresses they name never see a connection.

The corpus is ``tests/webhooks/test_ssrf_guard.py``'s, plus spellings that
point at a live listener (decimal, hex, octal, short and IPv6-mapped forms,
userinfo and fragment tricks, other schemes). DNS answers that change between
registration and delivery come from a scripted resolver in front of the real
transport; it never lets a request leave loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette

from harvest.adapters.http.webhooks import HttpxWebhookTransport
from harvest.app import create_app
from harvest.settings import Settings
from models.webhook import WebhookEndpoint
from resolvers.ports import OutboundPost, OutboundResult
from tests.factories import UserHandle, make_user
from tests.webhooks.test_ssrf_guard import REFUSED_URLS

REFUSAL_REASONS_AT_DELIVERY = {
    "loopback_address",
    "private_address",
    "link_local_address",
    "metadata_address",
    "shared_address",
    "unspecified_address",
    "multicast_address",
    "reserved_address",
    "unresolvable",
    "unsupported_scheme",
    "invalid_url",
    "credentials_in_url",
    "bad_port",
}


@dataclass
class Listener:
    """Plain TCP listeners on 127.0.0.1, 127.0.0.2 and ::1, one port, counting
    every connection they accept."""

    port: int = 0
    accepted: list[str] = field(default_factory=list)
    servers: list[asyncio.Server] = field(default_factory=list)

    async def start(self) -> None:
        async def count(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            self.accepted.append(str(writer.get_extra_info("sockname")))
            writer.close()

        first = await asyncio.start_server(count, "127.0.0.1", 0)
        self.port = first.sockets[0].getsockname()[1]
        self.servers.append(first)
        for host in ("127.0.0.2", "::1"):
            with contextlib.suppress(OSError):
                self.servers.append(await asyncio.start_server(count, host, self.port))

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
            await server.wait_closed()


def aimed_at(port: int) -> list[str]:
    """URLs whose host, however spelled, is this machine, at the listener."""
    return [
        f"http://127.0.0.1:{port}/hook",
        f"http://localhost:{port}/hook",
        f"http://LOCALHOST:{port}/hook",
        f"http://127.0.0.2:{port}/hook",
        f"http://2130706433:{port}/hook",
        f"http://0x7f000001:{port}/hook",
        f"http://0x7f.0x0.0x0.0x1:{port}/hook",
        f"http://0177.0.0.01:{port}/hook",
        f"http://017700000001:{port}/hook",
        f"http://127.1:{port}/hook",
        f"http://127.0.1:{port}/hook",
        f"http://0:{port}/hook",
        f"http://0.0.0.0:{port}/hook",
        f"http://[::1]:{port}/hook",
        f"http://[0:0:0:0:0:0:0:1]:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        f"http://[::ffff:7f00:1]:{port}/hook",
        f"http://[::127.0.0.1]:{port}/hook",
        f"https://127.0.0.1:{port}/hook",
        f"http://93.184.215.14@127.0.0.1:{port}/hook",
        f"http://user:pw@127.0.0.1:{port}/hook",
        f"http://127.0.0.1:{port}#@93.184.215.14/hook",
        f"http://127.0.0.1:{port}\\@93.184.215.14/hook",
        f"http://127.0.0.1%2e:{port}/hook",
        f"ws://127.0.0.1:{port}/hook",
        f"dict://127.0.0.1:{port}/info",
        f"gopher://127.0.0.1:{port}/_POST",
        f"ftp://127.0.0.1:{port}/hook",
        f"//127.0.0.1:{port}/hook",
    ]


EXTRA_RANGES = [
    "http://100.100.100.200/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "http://[fe80::a9fe:a9fe]/hook",
    "http://[::ffff:a9fe:a9fe]/hook",
    "http://[::ffff:100.64.0.1]/hook",
    "http://[::ffff:192.168.0.1]/hook",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://198.51.100.7/hook",
    "http://203.0.113.9/hook",
    "http://0.1.2.3/hook",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Private targets refused (the default), retries fast, room to poll."""
    return settings.with_overrides(
        webhook_allow_private=False,
        webhook_retry_base_seconds=0.01,
        rate_limits={"free": {"requests_per_minute": 100_000}},
    )


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    peer = Listener()
    await peer.start()
    yield peer
    await peer.stop()


def corpus(listener: Listener) -> list[str]:
    return [*REFUSED_URLS, *EXTRA_RANGES, *aimed_at(listener.port)]


def test_the_corpus_has_at_least_forty_urls() -> None:
    assert len(corpus(Listener(port=9))) >= 40


async def test_every_corpus_url_is_refused_at_registration(
    app: Starlette, client: httpx.AsyncClient, listener: Listener
) -> None:
    owner = await make_user(app)
    urls = corpus(listener)

    answers = {
        url: await client.post("/v1/webhooks", json={"url": url}, headers=owner.headers)
        for url in urls
    }
    batch = await client.post(
        "/v1/generate/batch",
        json={
            "batch": [{"format": "summary", "input": "Some text to sum up here."}],
            "webhook_url": f"http://127.0.0.1:{listener.port}/hook",
        },
        headers=owner.headers,
    )

    accepted = {u: r.status_code for u, r in answers.items() if r.status_code != 400}
    assert accepted == {}
    assert {r.json()["error"]["code"] for r in answers.values()} == {"VALIDATION_ERROR"}
    assert batch.status_code == 400
    listed = await client.get("/v1/webhooks", headers=owner.headers)
    assert listed.json()["webhooks"] == []
    assert listener.accepted == []


class ScriptedDns(HttpxWebhookTransport):
    """The real transport behind scripted DNS answers: each name answers the
    next address list of its script. A POST to anything but loopback is never
    sent (this machine has no other target); it is recorded and failed."""

    def __init__(self, script: dict[str, list[list[str]]]) -> None:
        super().__init__()
        self.script = script
        self.posts: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        answers = self.script.get(host)
        if not answers:
            return await super().resolve(host, port)
        return answers.pop(0) if len(answers) > 1 else answers[0]

    async def post(self, request: OutboundPost) -> OutboundResult:
        self.posts.append(request.address)
        if not request.address.startswith("127."):
            return OutboundResult(status_code=None, error="not_sent_off_loopback")
        return await super().post(request)


@contextlib.contextmanager
def scripted(
    app: Starlette, script: dict[str, list[list[str]]]
) -> Iterator[ScriptedDns]:
    services = app.state.parts.services
    real = services.webhooks
    dns = ScriptedDns(script)
    services.webhooks = dns
    try:
        yield dns
    finally:
        services.webhooks = real


async def store_endpoints(app: Starlette, owner: UserHandle, urls: list[str]) -> None:
    async with app.state.parts.db.session() as session:
        for url in urls:
            session.add(
                WebhookEndpoint(user_id=owner.id, url=url, secret="whsec_" + "s" * 32)
            )
        await session.commit()


async def first_attempts(
    client: httpx.AsyncClient, owner: UserHandle, timeout: float = 120
) -> dict[str, dict[str, object]]:
    """Every endpoint's latest delivery once each has made an attempt. The
    deadline is generous: names such as ``localhost.`` or ``0x7f.0.0.1`` go to
    the machine's resolver, which may take seconds each on a loaded machine
    (one CI run saw six of 78 still unattempted after 30 s)."""
    listed = await client.get("/v1/webhooks?limit=100", headers=owner.headers)
    endpoints = {e["id"]: e["url"] for e in listed.json()["webhooks"]}
    found: dict[str, dict[str, object]] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(found) < len(endpoints) and loop.time() < deadline:
        for endpoint_id, url in endpoints.items():
            if url in found:
                continue
            response = await client.get(
                f"/v1/webhooks/{endpoint_id}/deliveries", headers=owner.headers
            )
            deliveries = response.json()["deliveries"]
            if deliveries and deliveries[0]["attempts"] >= 1:
                found[url] = deliveries[0]
        await asyncio.sleep(0.1)
    return found


async def test_every_corpus_url_stored_behind_the_guard_is_refused_at_delivery(
    app: Starlette, client: httpx.AsyncClient, listener: Listener
) -> None:
    owner = await make_user(app)
    urls = corpus(listener)
    await store_endpoints(app, owner, urls)
    listed = await client.get("/v1/webhooks?limit=100", headers=owner.headers)

    # Real DNS; the scripted transport only keeps a regression from sending
    # anything off this machine.
    with scripted(app, {}) as dns:
        for endpoint in listed.json()["webhooks"]:
            sent = await client.post(
                f"/v1/webhooks/{endpoint['id']}/test", headers=owner.headers
            )
            assert sent.status_code == 202, sent.text
        attempts = await first_attempts(client, owner)

    assert set(attempts) == set(urls)
    assert dns.posts == []
    not_refused = {
        url: d["last_error"]
        for url, d in attempts.items()
        if d["last_error"] not in REFUSAL_REASONS_AT_DELIVERY
    }
    assert not_refused == {}
    assert listener.accepted == []


async def test_a_name_that_resolves_public_then_private_is_refused_at_delivery(
    app: Starlette, client: httpx.AsyncClient, listener: Listener
) -> None:
    owner = await make_user(app)
    host = "rebind.hooks.test"
    url = f"http://{host}:{listener.port}/hook"

    with scripted(app, {host: [["93.184.215.14"], ["127.0.0.1"]]}) as dns:
        created = await client.post(
            "/v1/webhooks", json={"url": url}, headers=owner.headers
        )
        endpoint_id = created.json()["id"]
        await client.post(f"/v1/webhooks/{endpoint_id}/test", headers=owner.headers)
        attempts = await first_attempts(client, owner)

    assert created.status_code == 201
    assert attempts[url]["last_error"] == "loopback_address"
    assert dns.posts == []
    assert listener.accepted == []


async def test_a_name_with_one_private_address_among_public_ones_is_refused(
    app: Starlette, client: httpx.AsyncClient, listener: Listener
) -> None:
    owner = await make_user(app)
    host = "mixed.hooks.test"

    with scripted(app, {host: [["93.184.215.14", "10.0.0.7"]]}) as dns:
        response = await client.post(
            "/v1/webhooks",
            json={"url": f"http://{host}:{listener.port}/hook"},
            headers=owner.headers,
        )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "private_address"
    assert dns.posts == []


@dataclass
class Redirector:
    """An HTTP server on loopback that answers every POST with a redirect to
    ``target``, counting the requests it gets."""

    target: str
    hits: int = 0
    server: asyncio.Server | None = None
    port: int = 0

    async def start(self) -> None:
        async def answer(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            self.hits += 1
            with contextlib.suppress(Exception):
                await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            writer.write(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: "
                + self.target.encode()
                + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            writer.close()

        self.server = await asyncio.start_server(answer, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_a_redirect_to_a_private_address_is_never_followed(
    settings: Settings, listener: Listener
) -> None:
    # The first hop must answer, and on this machine every receiver is on
    # loopback: this app allows private targets so the redirector is reached;
    # the redirect it answers must still go nowhere.
    redirector = Redirector(f"http://127.0.0.1:{listener.port}/internal")
    await redirector.start()
    allowed = create_app(
        settings.with_overrides(webhook_allow_private=True), auto_migrate=False
    )
    try:
        async with allowed.router.lifespan_context(allowed):
            owner = await make_user(allowed)
            transport = httpx.ASGITransport(app=allowed)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                created = await client.post(
                    "/v1/webhooks",
                    json={"url": f"http://127.0.0.1:{redirector.port}/hook"},
                    headers=owner.headers,
                )
                await client.post(
                    f"/v1/webhooks/{created.json()['id']}/test", headers=owner.headers
                )
                attempts = await first_attempts(client, owner)
    finally:
        await redirector.stop()

    (delivery,) = attempts.values()
    assert redirector.hits >= 1
    assert delivery["response_status"] == 307
    assert delivery["status"] in ("retrying", "failed")
    assert listener.accepted == []
