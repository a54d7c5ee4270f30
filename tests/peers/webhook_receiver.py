"""A webhook receiver on loopback: records every POST and checks its signatures.

It verifies both schemes on every request it is given secrets for: the spec's
``X-Harvest-Signature`` (hex HMAC of the raw body) and Standard Webhooks'
headers, through that spec's own Python library (which also refuses stale
timestamps). It can be told to answer with failures first (``fail_next``), to
answer with a fixed status, or to hold a request before answering.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """One request as it arrived, and what its signatures proved."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    harvest_valid: bool = False
    standard_valid: bool = False
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class ReceiverState:
    secrets: list[str] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 500
    location: str | None = None
    status: int = 200
    hold_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)


def harvest_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return header is not None and hmac.compare_digest(expected, header)


def standard_signature_valid(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


class WebhookReceiver:
    """``ThreadingHTTPServer`` on 127.0.0.1; ``url`` is where to send events."""

    def __init__(self) -> None:
        self.state = ReceiverState()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver._record(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                location = receiver.state.location
                if location is not None and 300 <= status < 400:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def trust(self, *secrets: str) -> None:
        """Verify signatures with these secrets (any one may match)."""
        with self._lock:
            self.state.secrets = list(secrets)

    def fail(
        self, times: int, *, status: int = 500, location: str | None = None
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (and, for a 3xx,
        a ``Location`` header pointing at ``location``)."""
        with self._lock:
            self.state.fail_next = times
            self.state.fail_status = status
            self.state.location = location

    def answer(self, status: int) -> None:
        """Answer every request with ``status`` from now on."""
        with self._lock:
            self.state.status = status

    def hold(self, seconds: float) -> None:
        """Keep each request waiting ``seconds`` before answering."""
        with self._lock:
            self.state.hold_seconds = seconds

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self.state.received)

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """Wait (without blocking the event loop) until ``count`` requests
        arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            received = self.received
            if len(received) >= count:
                return received
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(received)} of {count} webhooks arrived")
            await asyncio.sleep(0.02)

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            state = self.state
            if state.fail_next > 0:
                state.fail_next -= 1
                status = state.fail_status
            else:
                status = state.status
            secrets = list(state.secrets)
            hold = state.hold_seconds
        lowered = {k.lower(): v for k, v in headers.items()}
        received = Received(
            path=path,
            headers=lowered,
            body=body,
            status=status,
            harvest_valid=any(
                harvest_signature_valid(s, body, lowered.get("x-harvest-signature"))
                for s in secrets
            ),
            standard_valid=any(
                standard_signature_valid(s, body, lowered) for s in secrets
            ),
        )
        with self._lock:
            self.state.received.append(received)
        if hold:
            time.sleep(hold)
        return status
