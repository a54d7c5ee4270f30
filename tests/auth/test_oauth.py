"""OAuth sign-in end to end against a loopback OAuth 2 provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.auth.conftest import APP_URL
from tests.auth.factories import bearer, sign_up
from tests.peers.oauth_provider import OAuthProviderPeer


async def start(client: httpx.AsyncClient, provider: str = "google") -> httpx.Response:
    return await client.get(f"/v1/auth/oauth/{provider}")


async def consent(location: str) -> str:
    """What the browser does at the provider: follow to the callback URL."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(location)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def sign_in(
    client: httpx.AsyncClient, provider: str = "google"
) -> dict[str, str]:
    started = await start(client, provider)
    callback = await consent(started.headers["location"])
    finished = await client.get(callback_path(callback))
    assert finished.status_code == 302, finished.text
    target = urlsplit(finished.headers["location"])
    assert (
        f"{target.scheme}://{target.netloc}{target.path}" == APP_URL + "/auth/callback"
    )
    assert target.query == ""
    return {k: v[0] for k, v in parse_qs(target.fragment).items()}


async def test_oauth_start_redirects_to_the_provider_with_state_and_pkce(
    oauth_client: httpx.AsyncClient, oauth_peer: OAuthProviderPeer
) -> None:
    response = await start(oauth_client)

    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert response.headers["location"].startswith(oauth_peer.url + "/authorize?")
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == ("http://testserver/v1/auth/oauth/google/callback")
    assert len(query["state"]) >= 32
    assert query["code_challenge_method"] == "S256"
    assert "email" in query["scope"]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


async def test_oauth_sign_in_creates_the_user_and_hands_tokens_in_the_fragment(
    oauth_client: httpx.AsyncClient, oauth_peer: OAuthProviderPeer
) -> None:
    tokens = await sign_in(oauth_client)

    me = await oauth_client.get("/v1/users/me", headers=bearer(tokens["access_token"]))
    assert tokens["expires_in"] == "3600"
    assert tokens["refresh_token"].startswith("hrt_")
    assert me.status_code == 200
    user = me.json()["user"]
    assert user["email"] == "oauth.user@example.com"
    assert user["name"] == "Olive Auth"
    assert oauth_peer.token_requests[0]["code_verifier"]
    refreshed = await oauth_client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200


async def test_signing_in_twice_finds_the_same_user(
    oauth_client: httpx.AsyncClient,
) -> None:
    first = await sign_in(oauth_client)
    second = await sign_in(oauth_client)

    ids = []
    for tokens in (first, second):
        me = await oauth_client.get(
            "/v1/users/me", headers=bearer(tokens["access_token"])
        )
        ids.append(me.json()["user"]["id"])
    assert ids[0] == ids[1]


async def test_oauth_links_an_existing_account_with_the_same_verified_email(
    oauth_client: httpx.AsyncClient, oauth_peer: OAuthProviderPeer
) -> None:
    account = await sign_up(oauth_client, email="linked.person@example.com")
    oauth_peer.profile = {
        "sub": "peer-linked",
        "email": "Linked.Person@example.com",
        "email_verified": True,
        "name": "Linked",
    }

    tokens = await sign_in(oauth_client)

    me = await oauth_client.get("/v1/users/me", headers=bearer(tokens["access_token"]))
    assert me.json()["user"]["id"] == account["user"]["id"]


async def test_oauth_refuses_an_unverified_email(
    oauth_client: httpx.AsyncClient, oauth_peer: OAuthProviderPeer
) -> None:
    oauth_peer.profile = {
        "sub": "peer-unverified",
        "email": "unverified@example.com",
        "email_verified": False,
    }
    started = await start(oauth_client)
    callback = await consent(started.headers["location"])

    response = await oauth_client.get(callback_path(callback))

    assert response.status_code == 403
    assert response.json()["error"]["details"]["reason"] == "email_not_verified"


async def test_a_forged_state_is_refused(
    oauth_client: httpx.AsyncClient,
) -> None:
    started = await start(oauth_client)
    callback = urlsplit(await consent(started.headers["location"]))
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}

    response = await oauth_client.get(
        callback.path, params={"code": query["code"], "state": "forged-state-value"}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == "state"


async def test_a_callback_from_another_browser_is_refused(
    oauth_client: httpx.AsyncClient,
) -> None:
    started = await start(oauth_client)
    callback = await consent(started.headers["location"])
    oauth_client.cookies.clear()

    response = await oauth_client.get(callback_path(callback))

    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "state_mismatch"


async def test_a_state_cookie_for_another_provider_is_refused(
    oauth_client: httpx.AsyncClient,
) -> None:
    started = await start(oauth_client, "google")
    callback = await consent(started.headers["location"])

    response = await oauth_client.get(
        callback_path(callback).replace("/google/", "/github/")
    )

    assert response.status_code == 400


async def test_github_sign_in_reads_the_verified_primary_email(
    oauth_client: httpx.AsyncClient, oauth_peer: OAuthProviderPeer
) -> None:
    oauth_peer.profile = {
        "github_id": 777,
        "email": "octo.person@example.com",
        "email_verified": True,
        "name": "Octo",
    }

    tokens = await sign_in(oauth_client, "github")

    me = await oauth_client.get("/v1/users/me", headers=bearer(tokens["access_token"]))
    assert me.json()["user"]["email"] == "octo.person@example.com"


async def test_linkedin_sign_in_works_without_pkce(
    oauth_client: httpx.AsyncClient, oauth_peer: OAuthProviderPeer
) -> None:
    tokens = await sign_in(oauth_client, "linkedin")

    assert tokens["access_token"]
    assert "code_challenge" not in oauth_peer.authorize_requests[-1]


async def test_an_unknown_provider_is_not_found(
    oauth_client: httpx.AsyncClient,
) -> None:
    response = await start(oauth_client, "myspace")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_a_provider_without_a_client_id_answers_a_clear_error(
    oauth_client: httpx.AsyncClient,
) -> None:
    response = await start(oauth_client, "microsoft")

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["details"]["reason"] == "not_configured"
    assert "HARVEST_OAUTH_MICROSOFT_CLIENT_ID" in error["message"]
