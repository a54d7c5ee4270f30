"""How much database work one POST /v1/generate costs, counted on the engine:
statements, commits and connections checked out, for a generation that
completes on the loopback model peer.

The hot path is: authenticate (1 read), check the quota (1 read), store the
generation already running (1 insert, commit), then the runner's one
transaction (store the result, version 1, count usage, record the event and
find its webhooks, read the month's usage for alerts and the answer; commit).
A change that adds a round trip or a commit fails here; one that saves some
lowers the bounds."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from resolvers.tiers import get_tier
from tests.factories import make_user
from tests.peers.openai_server import COMPLETION_TOKENS, PROMPT_TOKENS
from tests.support import DatabaseCounter

BODY = {
    "format": "blog",
    "input": "renewable energy",
    "options": {"model": "peer-echo"},
}
MAX_STATEMENTS = 9
COMMITS = 2
MAX_CONNECTIONS = 3


async def test_one_post_generate_costs_nine_statements_and_two_commits(
    peer_app: Starlette, peer_client: httpx.AsyncClient
) -> None:
    user = await make_user(peer_app, tier="pro")
    # a warm-up request: first-use work (caches, connections) is not the hot path
    warm = await peer_client.post("/v1/generate", json=BODY, headers=user.headers)
    assert warm.status_code == 200, warm.text

    request_id = "req_countedgenerate01"
    engine = peer_app.state.parts.db.engine
    with DatabaseCounter(engine, request_id=request_id) as counter:
        response = await peer_client.post(
            "/v1/generate",
            json=BODY,
            headers={**user.headers, "X-Request-ID": request_id},
        )

    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == request_id
    listing = "\n".join(s[:120] for s in counter.statements)
    assert 5 <= len(counter.statements) <= MAX_STATEMENTS, listing
    assert counter.commits == COMMITS, listing
    assert counter.connections <= MAX_CONNECTIONS, listing
    inserts = [s for s in counter.statements if s.startswith("INSERT INTO generations")]
    updates = [s for s in counter.statements if s.startswith("UPDATE generations")]
    assert len(inserts) == 1 and len(updates) == 1, listing


async def test_the_usage_block_counts_the_generation_just_made(
    peer_app: Starlette, peer_client: httpx.AsyncClient
) -> None:
    user = await make_user(peer_app, tier="pro")
    tier = get_tier("pro")
    per_call = PROMPT_TOKENS + COMPLETION_TOKENS

    for made in (1, 2):
        response = await peer_client.post(
            "/v1/generate", json=BODY, headers=user.headers
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["generation"]["status"] == "completed"
        assert answer["usage"] == {
            "tokens_used": per_call,
            "tokens_remaining": tier.tokens_per_month - made * per_call,
            "generations_today": made,
            "generations_limit": tier.generations_per_month,
        }

    stored = await peer_client.get(
        f"/v1/generate/{answer['generation']['id']}", headers=user.headers
    )
    assert stored.status_code == 200
    read = stored.json()["generation"]
    assert {k: read[k] for k in answer["generation"]} == answer["generation"]
