"""The SSRF guard: private, loopback, link-local, shared, multicast, reserved and
metadata addresses are refused after resolution, at registration and at
delivery, unless HARVEST_WEBHOOK_ALLOW_PRIVATE is set."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from harvest.app import create_app
from harvest.settings import Settings
from models.webhook import WebhookEndpoint
from resolvers.webhook_urls import address_refusal
from tests.factories import make_user
from tests.peers.webhook_receiver import WebhookReceiver
from tests.webhooks.helpers import wait_for_deliveries

REFUSED_URLS = [
    "http://127.0.0.1/hook",
    "http://localhost/hook",
    "http://localhost.:8080/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0x7f.0.0.1/hook",
    "http://0177.0.0.1/hook",
    "http://127.1/hook",
    "http://0/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:7f00:1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://[64:ff9b::a00:1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://169.254.1.1/hook",
    "http://[fe80::1]/hook",
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://[fc00::1]/hook",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://[ff02::1]/hook",
    "http://240.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://192.0.2.10/hook",
    "ftp://93.184.215.14/hook",
    "file:///etc/passwd",
    "gopher://93.184.215.14:70/_hook",
    "javascript:alert(1)",
    "http:///hook",
    "http://user:pass@93.184.215.14/hook",
    "http://no-such-host.invalid/hook",
    "not a url",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The production default: private targets refused."""
    return settings.with_overrides(webhook_allow_private=False)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as c:
        yield c


async def test_every_url_of_the_corpus_is_refused_at_registration(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    answers = {
        url: await client.post("/v1/webhooks", json={"url": url}, headers=owner.headers)
        for url in REFUSED_URLS
    }

    accepted = [url for url, r in answers.items() if r.status_code != 400]
    assert accepted == []
    for response in answers.values():
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert error["details"]["field"] == "url"
    listed = await client.get("/v1/webhooks", headers=owner.headers)
    assert listed.json()["webhooks"] == []


async def test_public_address_is_accepted(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    response = await client.post(
        "/v1/webhooks",
        json={"url": "https://93.184.215.14:8443/hook?x=1"},
        headers=owner.headers,
    )

    assert response.status_code == 201, response.text


async def test_a_loopback_url_is_refused_by_default_with_the_reason(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    response = await client.post(
        "/v1/webhooks", json={"url": "http://localhost:9/hook"}, headers=owner.headers
    )

    assert response.json()["error"]["details"]["reason"] == "loopback_address"


async def test_batch_webhook_url_is_checked_too(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    owner = await make_user(app)

    response = await client.post(
        "/v1/generate/batch",
        json={
            "batch": [{"format": "summary", "input": "Some text to summarise."}],
            "webhook_url": "http://169.254.169.254/",
        },
        headers=owner.headers,
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "webhook_url"


async def test_delivery_to_a_private_address_is_refused_and_nothing_is_sent(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    receiver = WebhookReceiver()
    receiver.start()
    owner = await make_user(app)
    async with app.state.parts.db.session() as session:
        endpoint = WebhookEndpoint(user_id=owner.id, url=receiver.url, secret="whsec_")
        session.add(endpoint)
        await session.commit()

    try:
        sent = await client.post(
            f"/v1/webhooks/{endpoint.id}/test", headers=owner.headers
        )
        deliveries = await wait_for_deliveries(client, owner, endpoint.id, count=0)
        while deliveries[0]["attempts"] == 0:
            await asyncio.sleep(0.05)
            deliveries = await wait_for_deliveries(client, owner, endpoint.id, count=0)
    finally:
        receiver.stop()

    assert sent.status_code == 202
    assert deliveries[0]["last_error"] == "loopback_address"
    assert deliveries[0]["status"] in ("retrying", "failed")
    assert receiver.received == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.2", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.127.255.255", "shared"),
        ("198.18.0.1", "private"),
        ("::", "unspecified"),
        ("2001:db8::1", "private"),
    ],
)
def test_each_address_class_is_judged(address: str, reason: str | None) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == reason


async def test_allowing_private_targets_lets_loopback_through(
    settings: Settings,
) -> None:
    allowed = create_app(
        settings.with_overrides(webhook_allow_private=True, run_workers=False),
        auto_migrate=False,
    )
    async with allowed.router.lifespan_context(allowed):
        owner = await make_user(allowed)
        transport = httpx.ASGITransport(app=allowed)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as c:
            response = await c.post(
                "/v1/webhooks",
                json={"url": "http://127.0.0.1:9/hook"},
                headers=owner.headers,
            )

    assert response.status_code == 201
