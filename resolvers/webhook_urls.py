"""Where webhooks may go: the SSRF guard, applied at registration and at delivery.

A URL is accepted when its scheme is http or https and every address its host
resolves to is a public one. Numeric spellings of an address (decimal, hex,
octal, short forms, IPv4-mapped IPv6) are not parsed here: they go through the
resolver like any name, and the addresses that come back are what is judged.
``HARVEST_WEBHOOK_ALLOW_PRIVATE=true`` lifts the address check (for tests and
closed networks); the scheme check always holds.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from resolvers.context import RequestContext
from resolvers.errors import ServiceUnavailable, ValidationFailed
from resolvers.ports import WebhookTransport

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class WebhookTarget:
    """A checked URL: the host to name and the address to connect to."""

    url: str
    host: str
    port: int
    address: str


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not receive webhooks, or None when it is public."""
    if address in METADATA_ADDRESSES:
        return "metadata"
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return address_refusal(inner)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link_local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared", address in SHARED_ADDRESS_SPACE),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for reason, hit in checks:
        if hit:
            return reason
    if not address.is_global:
        return "reserved"
    return None


def parse_webhook_url(url: str, *, field: str = "url") -> SplitResult:
    """The URL's parts, or a VALIDATION_ERROR saying what is wrong with it."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise ValidationFailed(
            f"Give an http(s) URL of at most {MAX_URL_LENGTH} characters",
            field=field,
            reason="invalid_url",
        )
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed(
            "The URL cannot be parsed", field=field, reason="invalid_url"
        ) from exc
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed(
            "Webhook URLs must use http or https",
            field=field,
            reason="unsupported_scheme",
        )
    if not parts.hostname:
        raise ValidationFailed("The URL has no host", field=field, reason="invalid_url")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed(
            "Put no credentials in a webhook URL: verify the signature instead",
            field=field,
            reason="credentials_in_url",
        )
    if port == 0:
        raise ValidationFailed("Port 0 is not usable", field=field, reason="bad_port")
    return parts


def transport(ctx: RequestContext) -> WebhookTransport:
    """The process's webhook transport."""
    sender = ctx.services.webhooks
    if sender is None:
        raise ServiceUnavailable("Webhook delivery is not configured on this server")
    return sender


async def check_webhook_url(
    ctx: RequestContext, url: str, *, field: str = "url"
) -> WebhookTarget:
    """Resolve the URL's host and check every address; the first one is used.

    Raises VALIDATION_ERROR naming ``field`` when the URL is malformed, its host
    does not resolve, or any address it resolves to is not public (unless the
    server allows private targets).
    """
    parts = parse_webhook_url(url, field=field)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await transport(ctx).resolve(host, port)
    if not addresses:
        raise ValidationFailed(
            f"The host '{host}' does not resolve", field=field, reason="unresolvable"
        )
    for text in addresses:
        refusal = address_refusal(ipaddress.ip_address(text))
        if refusal is not None and not ctx.config.webhook_allow_private:
            raise ValidationFailed(
                "Webhook URLs must point at a public address: this host resolves "
                f"to a {refusal.replace('_', '-')} address",
                field=field,
                reason=f"{refusal}_address",
            )
    return WebhookTarget(url=url.strip(), host=host, port=port, address=addresses[0])
