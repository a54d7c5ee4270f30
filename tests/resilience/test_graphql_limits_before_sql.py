"""GraphQL limits hold before any SQL runs: a statement counter on the app's
engine sees nothing past authentication for an over-limit operation, while the
same operation within the limits does query. Aliased and batched logins count
one attempt each against the login throttle, even when they run at once. (The
limits themselves are pinned in ``tests/platform/test_graphql_limits.py``.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from resolvers.auth_throttle import ACCOUNT_RULE
from schema.limits import MAX_ALIASES, MAX_BATCH_OPERATIONS, MAX_DEPTH, MAX_TOKENS
from tests.auth.factories import PASSWORD, sign_up
from tests.factories import UserHandle, make_user

TEMPLATES = "templates(limit: {limit}) {{ templates {{ id }} }}"


class StatementCounter:
    """Counts every statement the engine sends while it is attached."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, *args: Any) -> None:
        self.statements.append(str(args[2]))


@pytest.fixture
def statements(app: Starlette) -> Iterator[StatementCounter]:
    engine = app.state.parts.db.engine.sync_engine
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


def deep(depth: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"author {{ {inner} }}"
    return (
        "{ " + TEMPLATES.format(limit=1).replace("{ id }", "{ " + inner + " }") + " }"
    )


OVER_LIMIT = {
    "page_over_100": "{ " + TEMPLATES.format(limit=101) + " }",
    "no_page_size": "{ templates { templates { id } } }",
    "too_deep": deep(MAX_DEPTH + 2),
    "too_many_aliases": "{ "
    + " ".join(f"t{i}: " + TEMPLATES.format(limit=1) for i in range(MAX_ALIASES + 1))
    + " }",
    "too_many_tokens": "{ "
    + TEMPLATES.format(limit=1)
    + " __typename" * MAX_TOKENS
    + " }",
    "too_costly": "{ "
    + " ".join(f"t{i}: " + TEMPLATES.format(limit=100) for i in range(55))
    + " }",
}


async def ask(
    client: httpx.AsyncClient, payload: Any, user: UserHandle | None = None
) -> httpx.Response:
    headers = user.headers if user is not None else None
    return await client.post("/graphql", json=payload, headers=headers)


async def baseline(
    client: httpx.AsyncClient, user: UserHandle, statements: StatementCounter
) -> list[str]:
    """The statements of authenticating ``user`` alone (``{ __typename }``),
    then the counter is cleared."""
    await ask(client, {"query": "{ __typename }"}, user)
    found = list(statements.statements)
    statements.statements.clear()
    return found


async def test_a_query_within_the_limits_does_reach_the_database(
    app: Starlette, client: httpx.AsyncClient, statements: StatementCounter
) -> None:
    user = await make_user(app)
    auth_only = await baseline(client, user, statements)

    response = await ask(
        client, {"query": "{ " + TEMPLATES.format(limit=5) + " }"}, user
    )

    assert response.json().get("errors") is None
    assert len(statements.statements) > len(auth_only)


@pytest.mark.parametrize("name", sorted(OVER_LIMIT))
async def test_an_over_limit_operation_is_refused_before_any_sql(
    app: Starlette, client: httpx.AsyncClient, statements: StatementCounter, name: str
) -> None:
    user = await make_user(app)
    auth_only = await baseline(client, user, statements)

    response = await ask(client, {"query": OVER_LIMIT[name]}, user)

    body = response.json()
    assert body.get("data") is None, body
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
    assert len(statements.statements) <= len(auth_only)


async def test_an_oversized_batch_is_refused_before_any_sql(
    app: Starlette, client: httpx.AsyncClient, statements: StatementCounter
) -> None:
    user = await make_user(app)
    operation = {"query": "{ " + TEMPLATES.format(limit=1) + " }"}

    auth_only = await baseline(client, user, statements)

    response = await ask(client, [operation] * (MAX_BATCH_OPERATIONS + 1), user)

    assert response.status_code == 400
    assert len(statements.statements) <= len(auth_only)


LOGIN = (
    'authLogin(input: {{email: "{email}", password: "{password}"}}) '
    "{{ tokens {{ accessToken }} }}"
)


async def correct_login_allowed(client: httpx.AsyncClient, email: str) -> bool:
    response = await client.post(
        "/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    return response.status_code == 200


async def test_one_wrong_password_does_not_lock_the_account(
    client: httpx.AsyncClient,
) -> None:
    email = (await sign_up(client))["user"]["email"]
    wrong = LOGIN.format(email=email, password="Wrong-password-1")

    await ask(client, {"query": f"mutation {{ {wrong} }}"})

    assert await correct_login_allowed(client, email)


async def test_aliased_logins_never_try_more_passwords_than_they_count(
    client: httpx.AsyncClient,
) -> None:
    email = (await sign_up(client))["user"]["email"]
    wrong = LOGIN.format(email=email, password="Wrong-password-1")
    right = LOGIN.format(email=email, password=PASSWORD)
    aliased = " ".join(f"a{i}: {wrong}" for i in range(7)) + f" ok: {right}"

    body = (await ask(client, {"query": f"mutation {{ {aliased} }}"})).json()

    # Mutations run in order and the first refusal ends the operation, so the
    # right password at the end is never tried.
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHORIZED"]
    assert await correct_login_allowed(client, email)


async def test_batched_logins_count_one_attempt_each(
    client: httpx.AsyncClient,
) -> None:
    email = (await sign_up(client))["user"]["email"]
    wrong = LOGIN.format(email=email, password="Wrong-password-1")
    operation = {"query": f"mutation {{ {wrong} }}"}
    batch = ACCOUNT_RULE.free_failures + 3

    answers = (await ask(client, [operation] * batch)).json()

    # As many passwords are tried as the same logins sent one request at a
    # time would try (the free allowance), whether the batch's operations run
    # in turn (memory counters) or at once (Redis): the rest are refused.
    codes = sorted(a["errors"][0]["extensions"]["code"] for a in answers)
    assert codes == ["RATE_LIMITED"] * 3 + ["UNAUTHORIZED"] * ACCOUNT_RULE.free_failures
