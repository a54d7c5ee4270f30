"""``AsyncHarvestClient``: the asyncio twin of ``HarvestClient``, on
``httpx.AsyncClient``."""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from harvest_ai import _operations as ops
from harvest_ai._core import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    Attempts,
    Call,
    ClientConfig,
    RetryPolicy,
    compact,
    error_of,
    graphql_result,
    new_idempotency_key,
    parse,
    raise_for_error,
)
from harvest_ai.errors import APIConnectionError
from harvest_ai.models import GenerateOptions, StreamChunk, StreamSummary
from harvest_ai.realtime import AsyncRealtimeConnection
from harvest_ai.streaming import SSEDecoder, StreamState

P = ParamSpec("P")
T = TypeVar("T")


def _signature(build: Callable[..., Any]) -> inspect.Signature:
    """``build``'s signature, returning what its Call parses to."""
    signature = inspect.signature(build)
    returns = str(signature.return_annotation)
    if returns.startswith("Call[") and returns.endswith("]"):
        returns = returns[5:-1]
    return signature.replace(return_annotation=returns)


def _method(
    build: Callable[P, Call[T]],
) -> Callable[Concatenate[AsyncHarvestClient, P], Awaitable[T]]:
    @functools.wraps(build)
    async def method(
        self: AsyncHarvestClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return await self.send(build(*args, **kwargs))

    method.__signature__ = _signature(build)  # type: ignore[attr-defined]
    return method


class AsyncHarvestClient:
    """An asyncio client for the Harvest API: ``HarvestClient``'s methods, awaited.

    ``api_key`` is an API key (``hv_...``) or an access token; it defaults to
    ``$HARVEST_API_KEY`` and may be changed later (``client.api_key = ...``).
    Every method raises a subclass of ``harvest_ai.HarvestError``. Pass
    ``http_client`` to use your own httpx client (its timeout, proxies and
    event hooks then apply).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        graphql_url: str | None = None,
        websocket_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._config = ClientConfig(
            api_key=api_key or os.environ.get("HARVEST_API_KEY"),
            base_url=base_url,
            timeout=timeout,
            retry=retry or RetryPolicy(),
            headers=headers,
            graphql_url=graphql_url,
            websocket_url=websocket_url,
        )
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self._sleep = asyncio.sleep

    @property
    def api_key(self) -> str | None:
        return self._config.api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self._config.api_key = value

    @property
    def base_url(self) -> str:
        return self._config.base_url

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncHarvestClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def send(self, call: Call[T]) -> T:
        """Send ``call`` with the retry policy and return its parsed answer."""
        async with self._open(call, stream=False) as response:
            return parse(response, call)

    @asynccontextmanager
    async def _open(
        self, call: Call[Any], *, stream: bool, policy: RetryPolicy | None = None
    ) -> AsyncIterator[httpx.Response]:
        """The first answer worth returning, after the retries it deserves."""
        policy = policy or self._config.retry
        key = self._config.key_for(call)
        attempts = Attempts(policy)
        while True:
            request = self._http.build_request(
                call.method,
                self._config.url_for(call),
                params=call.params,
                json=call.json,
                headers=self._config.headers_for(call, key),
            )
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                wait = attempts.after_connection_error()
                if wait is None:
                    raise APIConnectionError(
                        f"{call.method} {call.path}: {exc}"
                    ) from exc
                await self._sleep(wait)
                continue
            if stream and response.status_code >= 400:
                await response.aread()
            wait = attempts.after(response)
            if wait is not None:
                await response.aclose()
                await self._sleep(wait)
                continue
            try:
                yield response
            finally:
                await response.aclose()
            return

    def generate_stream(
        self,
        *,
        format: str,
        input: str,
        options: GenerateOptions | Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncGenerationStream:
        """Generate content as a stream: iterate it for chunks with ``.text``.

        The request is sent when iteration starts. A connection lost after
        the generation started is resumed where it stopped.
        """
        body = compact(
            {"format": format, "input": input, "options": options, "metadata": metadata}
        )
        call: Call[None] = Call(
            "POST",
            "/generate/stream",
            lambda _: None,
            json=body,
            idempotency_key=idempotency_key or new_idempotency_key(),
            headers={"Accept": "text/event-stream"},
        )
        return AsyncGenerationStream(self, call)

    def resume_stream(
        self, generation_id: str, *, last_event_id: str | int | None = None
    ) -> AsyncGenerationStream:
        """Follow a generation's stream from after ``last_event_id``."""
        stream = AsyncGenerationStream(self, None)
        stream.state.generation_id = generation_id
        stream.state.last_event_id = (
            None if last_event_id is None else str(last_event_id)
        )
        return stream

    async def graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run a raw GraphQL operation on ``/graphql``; returns ``data``.

        The first of ``errors`` is raised as the typed error its
        ``extensions.code`` names.
        """
        call: Call[None] = Call(
            "POST",
            self._config.graphql_url,
            lambda _: None,
            json=compact(
                {
                    "query": query,
                    "variables": variables,
                    "operationName": operation_name,
                }
            ),
        )
        async with self._open(call, stream=False) as response:
            try:
                body = response.json()
            except ValueError:
                body = None
            return graphql_result(body, response)

    async def download_export(self, export_url: str) -> bytes:
        """The file behind an ``export_generation`` link."""
        call: Call[None] = Call("GET", export_url, lambda _: None)
        async with self._open(call, stream=False) as response:
            raise_for_error(response)
            return response.content

    def oauth_url(self, provider: str) -> str:
        """Where to send a browser to sign in with ``provider`` (google...)."""
        return f"{self._config.base_url}/auth/oauth/{provider}"

    async def realtime(self, *, token: str | None = None) -> AsyncRealtimeConnection:
        """The spec's WebSocket, connected and authenticated (``async with``)."""
        return await AsyncRealtimeConnection.connect(
            self._config.websocket_url,
            token=token or self._config.api_key,
            timeout=self._config.timeout,
        )

    signup = _method(ops.signup)
    login = _method(ops.login)
    refresh = _method(ops.refresh)
    logout = _method(ops.logout)
    forgot_password = _method(ops.forgot_password)
    reset_password = _method(ops.reset_password)
    generate = _method(ops.generate)
    generate_batch = _method(ops.generate_batch)
    get_batch = _method(ops.get_batch)
    list_history = _method(ops.list_history)
    get_generation = _method(ops.get_generation)
    delete_generation = _method(ops.delete_generation)
    export_generation = _method(ops.export_generation)
    approve_generation = _method(ops.approve_generation)
    reject_generation = _method(ops.reject_generation)
    get_me = _method(ops.get_me)
    update_me = _method(ops.update_me)
    delete_me = _method(ops.delete_me)
    list_api_keys = _method(ops.list_api_keys)
    create_api_key = _method(ops.create_api_key)
    delete_api_key = _method(ops.delete_api_key)
    rotate_api_key = _method(ops.rotate_api_key)
    list_teams = _method(ops.list_teams)
    create_team = _method(ops.create_team)
    join_team = _method(ops.join_team)
    get_team = _method(ops.get_team)
    update_team = _method(ops.update_team)
    delete_team = _method(ops.delete_team)
    invite_member = _method(ops.invite_member)
    leave_team = _method(ops.leave_team)
    transfer_ownership = _method(ops.transfer_ownership)
    update_member_role = _method(ops.update_member_role)
    remove_member = _method(ops.remove_member)
    accept_invitation = _method(ops.accept_invitation)
    decline_invitation = _method(ops.decline_invitation)
    list_templates = _method(ops.list_templates)
    create_template = _method(ops.create_template)
    get_template = _method(ops.get_template)
    update_template = _method(ops.update_template)
    delete_template = _method(ops.delete_template)
    rate_template = _method(ops.rate_template)
    use_template = _method(ops.use_template)
    list_notifications = _method(ops.list_notifications)
    mark_all_notifications_read = _method(ops.mark_all_notifications_read)
    mark_notification_read = _method(ops.mark_notification_read)
    get_subscription = _method(ops.get_subscription)
    subscribe = _method(ops.subscribe)
    cancel_subscription = _method(ops.cancel_subscription)
    list_invoices = _method(ops.list_invoices)
    get_usage = _method(ops.get_usage)
    list_webhooks = _method(ops.list_webhooks)
    create_webhook = _method(ops.create_webhook)
    get_webhook = _method(ops.get_webhook)
    update_webhook = _method(ops.update_webhook)
    delete_webhook = _method(ops.delete_webhook)
    test_webhook = _method(ops.test_webhook)
    rotate_webhook_secret = _method(ops.rotate_webhook_secret)
    list_webhook_deliveries = _method(ops.list_webhook_deliveries)
    redeliver_webhook = _method(ops.redeliver_webhook)
    get_openapi = _method(ops.get_openapi)


class AsyncGenerationStream:
    """The chunks of one streamed generation; ``async for`` it once.

    After iteration, ``generation_id``, ``summary`` (tokens, word count) and
    ``cancelled`` tell how it went. An ``error`` event is raised as the
    typed error of its code.
    """

    def __init__(self, client: AsyncHarvestClient, call: Call[None] | None) -> None:
        self._client = client
        self._call = call
        self.state = StreamState()
        self._texts: list[str] = []

    @property
    def generation_id(self) -> str | None:
        return self.state.generation_id

    @property
    def summary(self) -> StreamSummary | None:
        return self.state.summary

    @property
    def cancelled(self) -> bool:
        return self.state.cancelled

    @property
    def text(self) -> str:
        """Everything streamed so far."""
        return "".join(self._texts)

    async def __aiter__(self) -> AsyncIterator[StreamChunk]:
        self._texts = []
        policy = self._client._config.retry
        resumes = 0
        while not self.state.done:
            call = self._next_call()
            try:
                async with self._client._open(call, stream=True) as response:
                    if response.status_code >= 400:
                        raise error_of(response)
                    decoder = SSEDecoder()
                    async for line in response.aiter_lines():
                        event = decoder.feed(line)
                        chunk = self.state.handle(event) if event else None
                        if chunk is not None:
                            self._texts.append(chunk.text)
                            yield chunk
                        if self.state.done:
                            return
                    raise httpx.RemoteProtocolError(
                        "the stream ended before its end event"
                    )
            except httpx.TransportError as exc:
                # Cut while reading: resume (``_open`` retried the opening).
                resumes += 1
                wait = policy.wait(resumes, None)
                if wait is None:
                    raise APIConnectionError(f"stream lost: {exc}") from exc
                await self._client._sleep(wait)

    def _next_call(self) -> Call[None]:
        if self.state.generation_id is None and self._call is not None:
            return self._call
        headers = {"Accept": "text/event-stream"}
        if self.state.last_event_id is not None:
            headers["Last-Event-ID"] = self.state.last_event_id
        return Call(
            "GET",
            f"/generate/stream/{self.state.generation_id}",
            lambda _: None,
            headers=headers,
        )
