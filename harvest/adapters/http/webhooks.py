"""Webhook POSTs over httpx, pinned to the address the domain already checked.

The request goes to the checked IP address itself; the registered host name is
only sent as ``Host`` and as the TLS server name (certificates are still
verified against it). A second DNS answer therefore cannot move the request
somewhere else. Redirects are never followed: a 3xx is the receiver's answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from urllib.parse import urlsplit, urlunsplit

import httpx

from resolvers.ports import OutboundPost, OutboundResult

logger = logging.getLogger(__name__)

USER_AGENT = "Harvest-Webhooks/1.0"


def pinned_url(url: str, address: str) -> tuple[str, str, str]:
    """``url`` with its host replaced by ``address``; also the Host header value
    and the TLS server name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    named = f"[{host}]" if ":" in host else host
    host_header = named if parts.port is None else f"{named}:{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return pinned, host_header, host


class HttpxWebhookTransport:
    """Resolves with the system resolver and posts with one shared httpx client."""

    def __init__(self, *, max_connections: int = 50) -> None:
        self._client: httpx.AsyncClient | None = None
        self._limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=10
        )

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                follow_redirects=False, limits=self._limits, trust_env=False
            )
        return self._client

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address of ``host``; numeric forms are resolved like names."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            return []
        addresses: list[str] = []
        for info in infos:
            address = str(info[4][0]).split("%", 1)[0]
            if address not in addresses:
                addresses.append(address)
        return addresses

    async def post(self, request: OutboundPost) -> OutboundResult:
        """POST the body to the pinned address; never raises for network trouble.

        The timeout bounds the whole attempt (a receiver trickling its answer
        byte by byte cannot hold it longer); the body of the answer is not read.
        """
        url, host_header, server_name = pinned_url(request.url, request.address)
        headers = {
            **request.headers,
            "Host": host_header,
            "User-Agent": USER_AGENT,
        }
        extensions = {}
        if url.startswith("https:"):
            extensions["sni_hostname"] = server_name
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(request.timeout_seconds):
                async with self._http().stream(
                    "POST",
                    url,
                    content=request.body,
                    headers=headers,
                    timeout=httpx.Timeout(request.timeout_seconds),
                    extensions=extensions,
                ) as response:
                    status = response.status_code
        except (httpx.TimeoutException, TimeoutError):
            error = "timeout"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        duration_ms = int((time.monotonic() - started) * 1000)
        logger.info(
            "webhook post",
            extra={
                "provider": "webhook",
                "operation": "post",
                "status": status,
                "error": error,
                "duration_ms": duration_ms,
            },
        )
        return OutboundResult(status_code=status, error=error, duration_ms=duration_ms)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
