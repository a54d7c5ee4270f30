"""GraphiQL, the /v1 reference and the playground in headless Chromium.

Debian's chromium, driven by Playwright; skipped where it is not installed
(CI installs it). Every request the pages make to a host other than the test
server is refused and counted, so a page that needs the internet fails here.
Screenshots are kept under ``test-artifacts/``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

from harvest.app import app_config
from harvest.settings import Settings
from models.db import Database
from models.user import User
from resolvers.auth_tokens import issue_access_token
from rest_compat.routes import ROUTES
from tests.support import LiveServer

CHROMIUM = Path(os.environ.get("HARVEST_TEST_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}"
)

playwright_api = pytest.importorskip("playwright.async_api")


class Browser:
    """One Chromium page that refuses every request to another host."""

    def __init__(self, page: object, server: LiveServer) -> None:
        self.page = page
        self.server = server
        self.outside: list[str] = []

    async def refuse_outside(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlparse(url).netloc == urlparse(self.server.url).netloc:
            await route.continue_()  # type: ignore[attr-defined]
            return
        self.outside.append(url)
        await route.abort()  # type: ignore[attr-defined]


@pytest.fixture
async def browser(live_server: LiveServer) -> AsyncIterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    async with playwright_api.async_playwright() as driver:
        chromium = await driver.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS
        )
        page = await chromium.new_page(viewport={"width": 1280, "height": 860})
        handle = Browser(page, live_server)
        await page.route("**/*", handle.refuse_outside)
        yield handle
        await chromium.close()
    assert handle.outside == []


async def stored_user_token(settings: Settings) -> tuple[User, str]:
    """A user written straight to the server's database, and an access token."""
    user = User(email=f"browser-{uuid.uuid4().hex[:8]}@example.com", name="Browser")
    db = Database(settings.database_url)
    async with db.session() as session:
        session.add(user)
        await session.commit()
    await db.dispose()
    token, _ = issue_access_token(app_config(settings), user)
    return user, token


def has_route(method: str, path: str) -> bool:
    return any(row.key == (method, path) for row in ROUTES)


async def test_graphiql_runs_a_query_with_a_token_from_local_assets(
    browser: Browser, live_server: LiveServer
) -> None:
    user, token = await stored_user_token(live_server.settings)
    query_type = live_server.app.state.schema._schema.query_type
    signed_in = "me" in query_type.fields
    query = (
        "query Me { me { email } }"
        if signed_in
        else "query I { serverInfo { apiVersion } }"
    )
    expected = user.email if signed_in else "apiVersion"
    page = browser.page

    await page.goto(f"{live_server.url}/graphql?document={quote(query)}")  # type: ignore[attr-defined]
    await page.fill("#token", token)  # type: ignore[attr-defined]
    await page.click("#auth button[type=submit]")  # type: ignore[attr-defined]
    await page.wait_for_selector(".graphiql-execute-button")  # type: ignore[attr-defined]
    await page.click(".graphiql-execute-button")  # type: ignore[attr-defined]
    result = page.locator(".result-window")  # type: ignore[attr-defined]
    await playwright_api.expect(result).to_contain_text(expected, timeout=15000)
    await page.screenshot(path=str(ARTIFACTS / "graphiql.png"))  # type: ignore[attr-defined]

    assert "token set" in await page.inner_text("#auth-state")  # type: ignore[attr-defined]


async def test_reference_page_lists_every_route_of_the_table(
    browser: Browser, live_server: LiveServer
) -> None:
    page = browser.page

    await page.goto(f"{live_server.url}/v1/docs")  # type: ignore[attr-defined]
    await page.wait_for_selector(".opblock", timeout=15000)  # type: ignore[attr-defined]
    shown = await page.eval_on_selector_all(  # type: ignore[attr-defined]
        ".opblock",
        """blocks => blocks.map(b => [
            b.querySelector('.opblock-summary-method').textContent.trim(),
            b.querySelector('.opblock-summary-path').getAttribute('data-path')])""",
    )
    await page.screenshot(path=str(ARTIFACTS / "reference.png"), full_page=True)  # type: ignore[attr-defined]

    expected = {(row.method, row.path) for row in ROUTES}
    documented = {(method.upper(), path) for method, path in shown}
    assert expected - documented == set()


@pytest.mark.skipif(
    not (has_route("POST", "/auth/signup") and has_route("POST", "/generate/stream")),
    reason="the playground needs the auth and generation routes",
)
async def test_playground_signs_up_streams_a_generation_and_lists_it(
    browser: Browser, live_server: LiveServer
) -> None:
    page = browser.page
    email = f"play-{uuid.uuid4().hex[:8]}@example.com"

    await page.goto(live_server.url + "/")  # type: ignore[attr-defined]
    await page.fill("#email", email)  # type: ignore[attr-defined]
    await page.fill("#password", "Playground-Passw0rd!")  # type: ignore[attr-defined]
    await page.fill("#name", "Play Ground")  # type: ignore[attr-defined]
    await page.click("#sign-up")  # type: ignore[attr-defined]
    await page.wait_for_selector("#work:not([hidden])", timeout=15000)  # type: ignore[attr-defined]
    await page.select_option("#format", "blog")  # type: ignore[attr-defined]
    await page.fill("#keywords", "solar, wind")  # type: ignore[attr-defined]
    await page.fill(  # type: ignore[attr-defined]
        "#input", "The future of renewable energy in small towns"
    )
    await page.click("#generate")  # type: ignore[attr-defined]
    status = page.locator("#status")  # type: ignore[attr-defined]
    await playwright_api.expect(status).to_contain_text("Done", timeout=30000)
    history = page.locator("#history li")  # type: ignore[attr-defined]
    await playwright_api.expect(history).to_have_count(1, timeout=15000)
    await page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=True)  # type: ignore[attr-defined]

    output = await page.inner_text("#output")  # type: ignore[attr-defined]
    assert len(output.split()) > 20
    assert "blog" in await history.first.inner_text()
