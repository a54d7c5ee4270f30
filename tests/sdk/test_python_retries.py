"""Retries: a real 429 waited out, a lost answer retried without doubling the
work, a 503 retried, a dead server given up on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from harvest_ai import (
    APIConnectionError,
    AsyncHarvestClient,
    HarvestClient,
    RateLimited,
    RetryPolicy,
    ServiceUnavailable,
    Unauthorized,
)

from tests import support
from tests.peers.tcp_proxy import TcpProxy
from tests.sdk.helpers import PASSWORD, Account, api_url, new_account

FAST = RetryPolicy(max_retries=3, backoff_base=0.05)


class Wire:
    """What a client sent and got, seen through httpx's public event hooks."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []

    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        return {
            "request": [self.requests.append],
            "response": [lambda response: self.statuses.append(response.status_code)],
        }

    def async_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        async def on_request(request: httpx.Request) -> None:
            self.requests.append(request)

        async def on_response(response: httpx.Response) -> None:
            self.statuses.append(response.status_code)

        return {"request": [on_request], "response": [on_response]}


@pytest.fixture
def proxy(live_server: support.LiveServer) -> Iterator[TcpProxy]:
    """A loopback proxy in front of the live server."""
    tcp = TcpProxy("127.0.0.1", live_server.port)
    tcp.start()
    yield tcp
    tcp.close()


def _fail_logins(client: HarvestClient, email: str) -> None:
    """Six failed logins: five are free, the sixth waits out its 429 (1 s)
    inside the client, and then the next attempt must wait 2 s after it."""
    for _ in range(6):
        with pytest.raises(Unauthorized):
            client.login(email=email, password="wrong-password-1")


def test_a_429_is_retried_after_its_retry_after(
    live_server: support.LiveServer,
) -> None:
    account = new_account(live_server)
    wire = Wire()
    client = HarvestClient(
        base_url=api_url(live_server),
        http_client=httpx.Client(event_hooks=wire.hooks()),
    )
    _fail_logins(client, account.email)
    wire.statuses.clear()
    wire.requests.clear()

    started = time.monotonic()
    session = client.login(email=account.email, password=PASSWORD)
    waited = time.monotonic() - started

    assert session.user.id == account.id
    assert wire.statuses == [429, 200]
    assert waited >= 1.0
    keys = {request.headers["idempotency-key"] for request in wire.requests}
    assert len(keys) == 1


def test_a_retry_after_longer_than_the_policy_allows_is_raised_at_once(
    live_server: support.LiveServer,
) -> None:
    account = new_account(live_server)
    _fail_logins(HarvestClient(base_url=api_url(live_server)), account.email)
    client = HarvestClient(
        base_url=api_url(live_server), retry=RetryPolicy(max_retry_after=0.5)
    )

    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        client.login(email=account.email, password=PASSWORD)

    assert caught.value.status == 429
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1
    # Waiting would have taken at least Retry-After; one round trip takes less.
    assert time.monotonic() - started < caught.value.retry_after
    assert caught.value.body["limit"] == 5
    assert caught.value.details["scope"] == "account"
    assert caught.value.request_id


def _history_total(account: Account) -> int:
    return account.client.list_history().pagination.total_items


def test_a_post_whose_answer_was_lost_is_retried_and_runs_once(
    live_server: support.LiveServer, proxy: TcpProxy
) -> None:
    account = new_account(live_server)
    wire = Wire()
    client = HarvestClient(
        api_key=account.client.api_key,
        base_url=f"http://127.0.0.1:{proxy.port}/v1",
        retry=FAST,
        http_client=httpx.Client(event_hooks=wire.hooks()),
    )
    proxy.drop_next_response()

    result = client.generate(format="email", input="Quarterly update")

    assert len(wire.requests) >= 2
    assert len({r.headers["idempotency-key"] for r in wire.requests}) == 1
    assert _history_total(account) == 1
    assert account.client.get_generation(result.id).content == result.content


def test_a_long_generation_whose_answer_was_given_up_on_is_waited_for_not_rerun(
    slow_server: support.LiveServer,
) -> None:
    account = new_account(slow_server)
    wire = Wire()
    client = HarvestClient(
        api_key=account.client.api_key,
        base_url=api_url(slow_server),
        retry=RetryPolicy(max_retries=2, backoff_base=0.05),
        http_client=httpx.Client(timeout=2.0, event_hooks=wire.hooks()),
    )

    result = client.generate(format="blog", input="A long story")

    assert wire.statuses.count(409) >= 1
    assert wire.statuses[-1] == 200
    assert len({r.headers["idempotency-key"] for r in wire.requests}) == 1
    assert _history_total(account) == 1
    assert result.generation.status == "completed"


async def test_the_async_client_retries_a_lost_answer_and_runs_once(
    live_server: support.LiveServer, proxy: TcpProxy
) -> None:
    account = new_account(live_server)
    wire = Wire()
    proxy.drop_next_response()

    async with AsyncHarvestClient(
        api_key=account.client.api_key,
        base_url=f"http://127.0.0.1:{proxy.port}/v1",
        retry=FAST,
        http_client=httpx.AsyncClient(event_hooks=wire.async_hooks()),
    ) as client:
        result = await client.generate(format="email", input="Quarterly update")

    assert len(wire.requests) >= 2
    assert len({r.headers["idempotency-key"] for r in wire.requests}) == 1
    assert _history_total(account) == 1
    assert result.generation.status == "completed"


def test_a_503_is_retried_until_the_policy_gives_up(
    shared_peer_server: support.LiveServer,
) -> None:
    account = new_account(shared_peer_server)
    wire = Wire()
    client = HarvestClient(
        api_key=account.client.api_key,
        base_url=api_url(shared_peer_server),
        retry=RetryPolicy(max_retries=1, backoff_base=0.05),
        http_client=httpx.Client(event_hooks=wire.hooks()),
    )

    with pytest.raises(ServiceUnavailable):
        client.generate(format="blog", input="AI", options={"model": "peer-error"})

    assert wire.statuses == [503, 503]


def test_a_server_that_does_not_answer_is_retried_then_reported() -> None:
    port = support.free_port()
    wire = Wire()
    client = HarvestClient(
        base_url=f"http://127.0.0.1:{port}/v1",
        retry=RetryPolicy(max_retries=2, backoff_base=0.01),
        http_client=httpx.Client(event_hooks=wire.hooks()),
    )

    with pytest.raises(APIConnectionError):
        client.generate(format="blog", input="Nobody home")

    assert len(wire.requests) == 3
    assert len({r.headers["idempotency-key"] for r in wire.requests}) == 1


def test_the_backoff_grows_and_stays_under_its_ceiling() -> None:
    policy = RetryPolicy(max_retries=10, backoff_base=0.5, backoff_max=4.0)

    waits = [policy.wait(attempt, None) for attempt in range(1, 11)]

    assert all(w is not None for w in waits)
    assert 0.25 <= waits[0] <= 0.5  # type: ignore[operator]
    assert all(2.0 <= w <= 4.0 for w in waits[4:])  # type: ignore[operator]
    assert policy.wait(11, None) is None
    assert policy.wait(1, 3.0) == 3.0


def test_a_signup_whose_answer_was_lost_is_replayed_without_its_secrets(
    live_server: support.LiveServer, proxy: TcpProxy
) -> None:
    client = HarvestClient(base_url=f"http://127.0.0.1:{proxy.port}/v1", retry=FAST)
    proxy.drop_next_response()

    session = client.signup(email="lost@example.com", password=PASSWORD, name="Lost")

    assert session.user.email == "lost@example.com"
    assert session.tokens.access_token is None
    again = HarvestClient(base_url=api_url(live_server))
    assert again.login(email="lost@example.com", password=PASSWORD).user.id == (
        session.user.id
    )
