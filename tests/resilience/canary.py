"""The canary scan: no stored secret ever leaves the server in a response.

A ``Recorder`` keeps every response its clients receive during one test. At the
end of the test it reads the secrets the database holds at that moment
(password hashes, API key, refresh, reset and invitation token hashes, webhook
signing secrets) and the server's own keys, and fails the test if any of them
appears in a recorded body or header. A webhook signing secret may appear in
exactly one response: the one that shows it to its owner once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa
from starlette.applications import Starlette

from models.team import Invitation
from models.user import ApiKey, PasswordReset, RefreshToken, User
from models.webhook import WebhookEndpoint

ALWAYS_FORBIDDEN = ("$argon2",)


@dataclass
class Seen:
    method: str
    url: str
    status: int
    text: str


@dataclass
class Recorder:
    """Records the responses of the clients it builds (and of ``watch``ed ones)."""

    responses: list[httpx.Response] = field(default_factory=list)

    async def _keep(self, response: httpx.Response) -> None:
        self.responses.append(response)

    def watch(self, client: httpx.AsyncClient) -> httpx.AsyncClient:
        client.event_hooks["response"].append(self._keep)
        return client

    def client(self, base_url: str, **kwargs: Any) -> httpx.AsyncClient:
        return self.watch(httpx.AsyncClient(base_url=base_url, timeout=30, **kwargs))

    def seen(self) -> list[Seen]:
        """Every recorded response whose body was read (streams left open are
        skipped: their bytes never reached the test)."""
        found = []
        for response in self.responses:
            if not hasattr(response, "_content"):
                continue
            headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            found.append(
                Seen(
                    method=response.request.method,
                    url=str(response.request.url),
                    status=response.status_code,
                    text=headers + "\n" + response.content.decode("utf-8", "replace"),
                )
            )
        return found

    async def leaks(self, app: Starlette) -> list[str]:
        """What leaked, as ``'<kind> in <method> <url>'`` lines."""
        secrets = await stored_secrets(app)
        seen = self.seen()
        found = []
        for response in seen:
            for marker in ALWAYS_FORBIDDEN:
                if marker in response.text:
                    found.append(f"{marker} in {response.method} {response.url}")
            for kind, value in secrets.items():
                if value and value in response.text and not kind.startswith("once:"):
                    found.append(f"{kind} in {response.method} {response.url}")
        for kind, value in secrets.items():
            if kind.startswith("once:"):
                showings = [r for r in seen if value in r.text]
                if len(showings) > 1:
                    found.extend(
                        f"{kind} shown again in {r.method} {r.url}"
                        for r in showings[1:]
                    )
        return found


async def stored_secrets(app: Starlette) -> dict[str, str]:
    """Every secret the server keeps, named by kind (and row)."""
    parts = app.state.parts
    settings = parts.settings
    found: dict[str, str] = {"secret_key": parts.config.secret_key}
    for name in ("stripe_api_key", "stripe_webhook_secret", "openai_api_key"):
        value = getattr(settings, name, None)
        if value:
            found[name] = value
    columns: Iterable[tuple[str, Any]] = (
        ("password_hash", User.password_hash),
        ("api_key_hash", ApiKey.key_hash),
        ("previous_api_key_hash", ApiKey.previous_key_hash),
        ("refresh_token_hash", RefreshToken.token_hash),
        ("reset_token_hash", PasswordReset.token_hash),
        ("invitation_token_hash", Invitation.token_hash),
        ("once:previous_webhook_secret", WebhookEndpoint.previous_secret),
        ("once:webhook_secret", WebhookEndpoint.secret),
    )
    async with parts.db.session() as session:
        for kind, column in columns:
            rows = (await session.execute(sa.select(column))).scalars().all()
            for index, value in enumerate(rows):
                if value and len(value) >= 12:
                    found[f"{kind}#{index}"] = value
    return found
