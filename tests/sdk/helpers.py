"""Accounts and fixtures of state for the SDK tests, made through the SDK."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from harvest_ai import HarvestClient
from harvest_ai.models import AuthSession

from models.db import Database
from models.user import ApiKey
from resolvers.auth_tokens import hash_secret
from tests import support

PASSWORD = "SecurePass123!"
ROOT = Path(__file__).resolve().parents[2]
TYPESCRIPT_SDK = ROOT / "clients" / "typescript"
NPM = shutil.which("npm")
NODE = shutil.which("node")


def _node_major() -> int:
    if NODE is None or NPM is None:
        return 0
    version = subprocess.run(
        [NODE, "--version"], capture_output=True, text=True, check=False
    ).stdout
    found = re.match(r"v(\d+)\.", version)
    return int(found.group(1)) if found else 0


needs_node = pytest.mark.skipif(
    _node_major() < 20,
    reason="node 20 or later and npm are not installed: the TypeScript SDK "
    "(engines: node >= 20) cannot be built and tested",
)


def run_in_typescript_sdk(
    *command: str, env: dict[str, str] | None = None, timeout: float = 300
) -> str:
    """Run ``command`` in clients/typescript; its output, or a failed assert."""
    result = subprocess.run(
        command,
        cwd=TYPESCRIPT_SDK,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output[-8000:]}"
    return output


@dataclass
class Account:
    client: HarvestClient
    session: AuthSession
    email: str

    @property
    def id(self) -> str:
        return self.session.user.id


def api_url(server: support.LiveServer) -> str:
    return f"{server.url}/v1"


def new_account(server: support.LiveServer, name: str = "SDK User") -> Account:
    """A signed-up user and a client that uses their access token."""
    email = f"sdk-{uuid.uuid4().hex[:10]}@example.com"
    client = HarvestClient(base_url=api_url(server))
    session = client.signup(email=email, password=PASSWORD, name=name)
    client.api_key = session.tokens.access_token
    return Account(client=client, session=session, email=email)


def register_api_key(server: support.LiveServer, *, user_id: str, secret: str) -> None:
    """Store ``secret`` as one of the user's API keys, as if it had been issued.

    The spec's examples name a placeholder key; registering that very string
    lets them run unchanged against a local server.
    """
    config = server.app.state.parts.config

    async def store() -> None:
        database = Database(server.settings.database_url)
        try:
            async with database.session() as session:
                session.add(
                    ApiKey(
                        user_id=user_id,
                        name="spec example",
                        key_hash=hash_secret(config, secret),
                        key_prefix=secret[:9],
                        last_4=secret[-4:],
                    )
                )
                await session.commit()
        finally:
            await database.dispose()

    asyncio.run(store())


def mail_to(server: support.LiveServer, address: str) -> str:
    """The text of the first mail to ``address`` in the development outbox."""
    directory = Path(server.settings.outbox_dir)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in sorted(directory.glob("*.eml")) if directory.exists() else []:
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if address in str(message["To"]):
                body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
                return str(body.get_content()) if body is not None else ""
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


def token_in(text: str, prefix: str) -> str:
    found = re.search(rf"{prefix}[A-Za-z0-9_\-]+", text)
    assert found is not None, f"no {prefix} token in {text!r}"
    return found.group(0)


def wait_until(check: object, timeout: float = 10.0) -> None:
    """Poll ``check()`` until it is true."""
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.25)
