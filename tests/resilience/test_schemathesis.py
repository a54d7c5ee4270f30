"""Schemathesis over a live server: ``/v1/openapi.json`` (every phase, positive
and negative data, authenticated) and ``/graphql``.

Cases per operation: ``SHORT_EXAMPLES`` by default, ``HARVEST_SCHEMATHESIS_EXAMPLES``
when set (CI's PostgreSQL + Redis pass sets 100), ``LONG_EXAMPLES`` with
``HARVEST_LONG=1``. The stateful phase (sequences of linked calls, not cases
of one operation) runs apart, with ``SHORT_EXAMPLES`` unless the pass is long:
at 100 it alone takes a quarter of an hour. Every response must be a documented
status with a documented content type and body; no server error; no operation
that answers without its credential. ``positive_data_acceptance`` is left out:
the server enforces rules a JSON Schema does not carry (password strength, URL
safety, template placeholders), so schema-valid data is rightly refused there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from harvest.settings import Settings
from tests.auth.factories import PASSWORD, unique_email
from tests.peers.stripe_server import API_KEY, WEBHOOK_SECRET, StripePeer
from tests.support import LiveServer

ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("HARVEST_LONG") == "1"
SHORT_EXAMPLES = 10
LONG_EXAMPLES = 100
EXAMPLES = (
    LONG_EXAMPLES
    if LONG
    else int(os.environ.get("HARVEST_SCHEMATHESIS_EXAMPLES") or SHORT_EXAMPLES)
)
STATEFUL_EXAMPLES = LONG_EXAMPLES if LONG else SHORT_EXAMPLES
SEED = os.environ.get("HARVEST_SCHEMATHESIS_SEED", "20261204")
UNLIMITED = 1_000_000
LIMITS = {
    tier: {
        "requests_per_minute": UNLIMITED,
        "generations_per_hour": UNLIMITED,
        "concurrent_generations": 1_000,
    }
    for tier in ("free", "pro", "enterprise")
} | {
    "anonymous": {"requests_per_minute": UNLIMITED},
    "auth": {"requests_per_minute": UNLIMITED},
}
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "ignored_auth",
    )
)


@pytest.fixture
def stripe_peer() -> Iterator[StripePeer]:
    peer = StripePeer().start()
    yield peer
    peer.stop()


@pytest.fixture
def fuzzed_server(settings: Settings, stripe_peer: StripePeer) -> Iterator[LiveServer]:
    """A live server with no rate limits in the way and Stripe on loopback."""
    server = LiveServer(
        settings.with_overrides(
            rate_limits=LIMITS,
            offline_writer_delay_seconds=0.0,
            stripe_api_key=API_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_base_url=stripe_peer.url,
        )
    )
    server.start()
    yield server
    server.stop()


def account_token(server: LiveServer) -> str:
    response = httpx.post(
        f"{server.url}/v1/auth/signup",
        json={"email": unique_email("fuzz"), "password": PASSWORD, "name": "Fuzz"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["tokens"]["access_token"])


def run_schemathesis(
    location: str, token: str, report: Path, *extra: str, examples: int = EXAMPLES
) -> str:
    """Run the CLI; returns its output, failing the test on any failure."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        location,
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(examples),
        "--seed",
        SEED,
        "--workers",
        "2",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        *extra,
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.resilience.schemathesis_checks",
    }
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
        cwd=report.parent,
        env=env,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-20_000:]
    return output


def failures_in(report: Path) -> list[str]:
    tree = ElementTree.parse(report)
    return [
        case.get("name", "?")
        for case in tree.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]


@pytest.mark.long_running
@pytest.mark.parametrize(
    ("phases", "examples"),
    [
        pytest.param("examples,coverage,fuzzing", EXAMPLES, id="cases"),
        pytest.param("stateful", STATEFUL_EXAMPLES, id="stateful"),
    ],
)
def test_openapi_operations_hold_under_generated_requests(
    fuzzed_server: LiveServer, tmp_path: Path, phases: str, examples: int
) -> None:
    token = account_token(fuzzed_server)
    report = tmp_path / "openapi.xml"

    run_schemathesis(
        f"{fuzzed_server.url}/v1/openapi.json",
        token,
        report,
        "--mode",
        "all",
        "--phases",
        phases,
        "--checks",
        CHECKS,
        examples=examples,
    )

    assert failures_in(report) == []


@pytest.mark.long_running
def test_graphql_operations_hold_under_generated_queries(
    fuzzed_server: LiveServer, tmp_path: Path
) -> None:
    token = account_token(fuzzed_server)
    report = tmp_path / "graphql.xml"

    run_schemathesis(
        f"{fuzzed_server.url}/graphql",
        token,
        report,
        "--checks",
        "graphql_answers_with_domain_errors_only",
    )

    assert failures_in(report) == []


async def test_a_wrong_method_names_every_method_of_the_path_in_allow(
    client: httpx.AsyncClient,
) -> None:
    response = await client.request("OPTIONS", "/v1/teams")

    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {
        "GET",
        "POST",
    }


async def test_a_route_that_needs_a_credential_judges_it_before_the_body(
    client: httpx.AsyncClient,
) -> None:
    bad_body = await client.post(
        "/v1/users/me/api-keys", json={"name": "", "expires_at": ""}
    )
    malformed = await client.post(
        "/v1/teams", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert bad_body.status_code == 401
    assert malformed.status_code == 401
