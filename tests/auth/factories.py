"""Helpers for auth and user tests: accounts made through the API itself."""

from __future__ import annotations

from typing import Any

import httpx

from models.base import new_id

PASSWORD = "SecurePass123!"


def unique_email(word: str = "user") -> str:
    return f"{word}.{new_id('x', 8)}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_up(
    client: httpx.AsyncClient,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    name: str = "John Doe",
) -> dict[str, Any]:
    """Sign up through REST and return the 201 body."""
    response = await client.post(
        "/v1/auth/signup",
        json={"email": email or unique_email(), "password": password, "name": name},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def log_in(
    client: httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    *,
    remember_me: bool = False,
) -> httpx.Response:
    return await client.post(
        "/v1/auth/login",
        json={"email": email, "password": password, "remember_me": remember_me},
    )


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


def error_code(body: dict[str, Any]) -> str:
    """The code of a REST envelope or of a GraphQL response's first error."""
    if "error" in body:
        return str(body["error"]["code"])
    return str(body["errors"][0]["extensions"]["code"])
