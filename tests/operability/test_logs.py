"""Access lines: one JSON object per line in production, and never a secret."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from harvest.app import create_app
from harvest.logs import configure_logging
from harvest.settings import Settings
from tests.factories import make_user
from tests.support import LiveServer

CANARY_PASSWORD = "Canary-Passw0rd-7f3a!"
CANARY_BEARER = "canary.bearer.token-9b1c"
CANARY_API_KEY = "hv_canarykey_4d2e8a9f0b1c"

SIGNUP_MUTATION = """
mutation CanarySignup($password: String!) {
  authSignup(input: {email: "canary@example.com", password: $password, name: "C"}) {
    user { id }
  }
}
"""


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: Starlette = create_app(settings, auto_migrate=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as client:
            client.app = application  # type: ignore[attr-defined]
            yield client


async def test_production_access_line_is_one_json_object(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running(replace(settings, env="production")) as client:
        user = await make_user(client.app)  # type: ignore[attr-defined]
        capsys.readouterr()
        response = await client.get("/v1/docs", headers=user.headers)
        lines = capsys.readouterr().err.splitlines()

    events = [json.loads(line) for line in lines if line.startswith("{")]
    access = [e for e in events if e.get("event") == "request"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["principal_id"] is None or line["principal_id"].startswith("usr_")
    assert line["route"] == "/v1/docs"
    assert line["status"] == response.status_code
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "info"


async def test_graphql_access_line_names_the_operation_and_the_principal(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running(replace(settings, env="production")) as client:
        user = await make_user(client.app)  # type: ignore[attr-defined]
        capsys.readouterr()
        await client.post(
            "/graphql",
            json={"query": "query WhoAsks { serverInfo { apiVersion } }"},
            headers=user.headers,
        )
        lines = capsys.readouterr().err.splitlines()

    events = [json.loads(line) for line in lines if line.startswith("{")]
    access = next(e for e in events if e.get("event") == "request")
    assert access["route"] == "/graphql"
    assert access["operation"] == "WhoAsks"
    assert access["principal_id"] == user.id


async def test_passwords_tokens_and_api_keys_never_reach_the_logs(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    credentials = {"email": "canary@example.com", "password": CANARY_PASSWORD}

    for mode in ("development", "production"):
        async with running(replace(settings, env=mode)) as client:
            await client.post("/v1/auth/signup", json={**credentials, "name": "C"})
            await client.post("/v1/auth/login", json=credentials)
            await client.post(
                "/v1/auth/login", content=b"{broken " + CANARY_PASSWORD.encode()
            )
            await client.get(
                "/v1/users/me", headers={"Authorization": f"Bearer {CANARY_BEARER}"}
            )
            await client.get(
                "/v1/users/me", headers={"Authorization": f"Bearer {CANARY_API_KEY}"}
            )
            await client.post(
                "/graphql",
                json={
                    "query": SIGNUP_MUTATION,
                    "variables": {"password": CANARY_PASSWORD},
                },
                headers={"Authorization": f"Bearer {CANARY_API_KEY}"},
            )
            await client.get(f"/graphql?token={CANARY_BEARER}")
    captured = capsys.readouterr()
    text = captured.err + captured.out

    assert "request" in text
    for secret in (CANARY_PASSWORD, CANARY_BEARER, CANARY_API_KEY):
        assert secret not in text


async def test_a_token_in_a_websocket_url_never_reaches_the_server_logs(
    app: Starlette, live_server: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    user = await make_user(app)
    # Bind the log handler to this test's captured stderr.
    configure_logging(production=False)
    capsys.readouterr()

    async with connect(f"{live_server.ws_url}/v1?token={user.token}") as ws:
        await asyncio.wait_for(ws.recv(), 10)
    await asyncio.sleep(0.2)
    text = capsys.readouterr().err

    assert "WebSocket /v1?token=[redacted]" in text
    assert user.token not in text
    assert user.token.split(".")[1] not in text
