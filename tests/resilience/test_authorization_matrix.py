"""The authorization matrix (``authz_matrix``) run against the product.

One world per module: an owner with API keys, another user, a team with a
member of every role, a non-member, and a stranger whose team is another
tenant. Every REST route is driven for every persona and ownership its rule
names; every GraphQL root field is driven for the credential personas and
with foreign ids; lists, the SSE stream and both WebSocket protocols are
checked for foreign ids.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    build_schema,
    get_named_type,
)
from sqlmodel import col, select
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from harvest.app import create_app
from harvest.settings import Settings
from models.base import new_id, utcnow
from models.generation import Batch
from models.notification import Notification
from models.team import Invitation, Membership, Team
from models.user import ApiKey, User
from models.webhook import WebhookDelivery, WebhookEndpoint, WebhookEvent
from resolvers.auth_tokens import hash_secret
from rest_compat.routes import ROUTES
from tests import support
from tests.conftest import REDIS_URL
from tests.factories import UserHandle, make_user
from tests.generation.factories import make_generation
from tests.resilience import authz_matrix as M
from tests.subscriptions.factories import expired_token, make_api_key
from tests.subscriptions.wire import close_code, receive, send
from tests.team.factories import add_membership
from tests.template.factories import make_template

SCHEMA = Path(__file__).resolve().parents[2] / "schema.graphql"
CODES = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND"}
# The matrix is about who may, not how often: no rate limit may answer first.
UNLIMITED = {
    "requests_per_minute": 1_000_000,
    "generations_per_hour": 1_000_000,
    "concurrent_generations": 1_000,
}


@dataclass
class Tenant:
    """One user's (or one team's) objects."""

    generation: str = ""
    template: str = ""
    webhook: str = ""
    delivery: str = ""
    api_key: str = ""
    notification: str = ""
    batch: str = ""
    export: str = ""
    team: str = ""
    pending: str = ""
    member: str = ""


@dataclass
class World:
    app: Starlette
    users: dict[str, UserHandle]
    headers: dict[str, dict[str, str]]
    own: Tenant
    team: Tenant
    foreign: Tenant
    stranger: UserHandle
    writer: UserHandle
    ids: dict[str, set[str]] = field(default_factory=dict)

    def tenant(self, persona: str, ownership: str) -> Tenant:
        if ownership == "same_team":
            return self.team
        if ownership == "other_team":
            # another user's object is the owner's; everyone else's is the stranger's
            return self.own if persona == "other_user" else self.foreign
        return self.own


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def add(app: Starlette, *rows: Any) -> None:
    async with app.state.parts.db.session() as session:
        for row in rows:
            session.add(row)
        await session.commit()


async def make_team_of(world: World) -> str:
    """A fresh team laid out like the world's: the role personas and the writer."""
    owner = world.users["team_owner"]
    team_id = await new_team(world.app, owner, "Fresh team")
    rows = [
        Membership(team_id=team_id, user_id=world.users[p].id, role=M.TEAM_ROLE[p])
        for p in ("team_admin", "team_editor", "team_viewer")
    ]
    rows.append(Membership(team_id=team_id, user_id=world.writer.id, role="editor"))
    await add(world.app, *rows)
    return team_id


async def session_team(app: Starlette, team_id: str) -> Team:
    async with app.state.parts.db.session() as session:
        team = await session.get(Team, team_id)
        assert team is not None
        return team


async def new_team(app: Starlette, owner: UserHandle, name: str) -> str:
    """A stored team with ``owner`` as its owner and a unique invite code."""
    team = Team(name=name, owner_id=owner.id, invite_code=uuid.uuid4().hex[:10].upper())
    await add(app, team)
    await add(app, Membership(team_id=team.id, user_id=owner.id, role="owner"))
    return team.id


async def user_objects(app: Starlette, user: UserHandle, team_id: str | None) -> Tenant:
    gen = await make_generation(app, user, team_id=team_id)
    tpl = await make_template(app, user, team_id=team_id, name="Tenant template")
    hook = WebhookEndpoint(user_id=user.id, url="http://127.0.0.1:9/h", secret="s" * 32)
    event = WebhookEvent(user_id=user.id, type="generation.completed")
    note = Notification(user_id=user.id, type="system", title="Hello")
    batch = Batch(user_id=user.id, items=0, status="completed")
    await add(app, hook, event, note, batch)
    delivery = WebhookDelivery(event_id=event.id, endpoint_id=hook.id, url=hook.url)
    secret = await make_api_key(app, user, permissions=["read", "write"])
    await add(app, delivery)
    async with app.state.parts.db.session() as session:
        key_id = await session.scalar(
            select(ApiKey.id).where(
                col(ApiKey.key_hash) == hash_secret(app.state.parts.config, secret)
            )
        )
    return Tenant(
        generation=gen.id,
        template=tpl.id,
        webhook=hook.id,
        delivery=delivery.id,
        api_key=str(key_id),
        notification=note.id,
        batch=batch.id,
    )


async def build_world(app: Starlette, client: httpx.AsyncClient) -> World:
    names = ("owner", "other_user", "non_member", *M.TEAM_ROLE, "stranger")
    users = {n: await make_user(app, name=n) for n in names}
    for name in ("team_owner", "stranger"):
        # an enterprise team has room for every persona and invitation
        users[name] = await make_user(app, name=name, tier="enterprise")
    writer = await make_user(app, name="writer", tier="pro")
    stranger = users.pop("stranger")
    owner = users["owner"]

    revoked = await make_user(app, name="revoked")
    async with app.state.parts.db.session() as session:
        row = await session.get(User, revoked.id)
        assert row is not None
        row.tokens_valid_after = utcnow() + timedelta(seconds=1)
        session.add(row)
        await session.commit()
    gone = await make_api_key(app, owner, permissions=["read", "write"])
    async with app.state.parts.db.session() as session:
        digest = hash_secret(app.state.parts.config, gone)
        key = (
            await session.execute(select(ApiKey).where(ApiKey.key_hash == digest))
        ).scalar_one()
        await session.delete(key)
        await session.commit()

    headers = {
        "anonymous": {},
        "bad_token": bearer("not-a-token"),
        "expired_token": bearer(expired_token(app, owner)),
        "revoked_token": bearer(revoked.token),
        "revoked_key": bearer(gone),
        "read_key": bearer(await make_api_key(app, owner, permissions=["read"])),
        "write_key": bearer(
            await make_api_key(app, owner, permissions=["read", "write"])
        ),
    }
    headers |= {name: handle.headers for name, handle in users.items()}

    t = await session_team(app, await new_team(app, users["team_owner"], "Team T"))
    for persona, role in M.TEAM_ROLE.items():
        if role != "owner":
            await add_membership(app, t, users[persona], role)
    await add_membership(app, t, writer, "editor")
    u = await session_team(app, await new_team(app, stranger, "Team U"))
    stranger_mate = await make_user(app, name="mate")
    await add_membership(app, u, stranger_mate, "viewer")

    own = await user_objects(app, owner, None)
    team = await user_objects(app, writer, t.id)
    foreign = await user_objects(app, stranger, u.id)
    team.team, foreign.team = t.id, u.id
    foreign.member = stranger_mate.id
    foreign.pending = (
        await make_generation(app, stranger, team_id=u.id, approval_status="pending")
    ).id
    world = World(app, users, headers, own, team, foreign, stranger, writer)

    for tenant, handle in ((own, owner), (foreign, stranger)):
        answer = await client.post(
            f"/v1/generate/{tenant.generation}/export",
            json={"format": "markdown"},
            headers=handle.headers,
        )
        assert answer.status_code == 200, answer.text
        tenant.export = answer.json()["export_url"].rsplit("/", 1)[-1]
    return world


async def fresh_api_key(world: World, user: UserHandle) -> str:
    secret = await make_api_key(world.app, user, permissions=["read", "write"])
    async with world.app.state.parts.db.session() as session:
        digest = hash_secret(world.app.state.parts.config, secret)
        return str(
            await session.scalar(select(ApiKey.id).where(ApiKey.key_hash == digest))
        )


TEAM_KINDS = ("team", "team_with_member", "member", "pending")


async def target(
    world: World, entry: M.Entry, persona: str, ownership: str
) -> dict[str, str]:
    """The path parameters (and extra body keys, ``body.``) for one cell."""
    if persona in M.CREDENTIALS and entry.target in TEAM_KINDS:
        ownership = "same_team"  # a team object that exists, for the 401 cells
    kind, tenant = entry.target, world.tenant(persona, ownership)
    mine = ownership == "own" or (ownership == "other_team" and persona == "other_user")
    author = world.users["owner"] if mine else world.stranger
    if ownership == "same_team":
        author = world.writer
    team_id = None if mine else tenant.team
    if kind in (None, "self", "subscriber"):
        return {}
    if kind == "provider":
        return {"provider": "google"}
    if kind == "join_code":
        host = await make_user(world.app, name="host", tier="enterprise")
        team = await session_team(world.app, await new_team(world.app, host, "Open"))
        return {"body.invite_code": team.invite_code}
    if kind == "queued":
        row = await make_generation(world.app, author, team_id=team_id, status="queued")
        return {"id": row.id}
    if kind == "generation" and entry.fresh:
        return {"id": (await make_generation(world.app, author, team_id=team_id)).id}
    if kind == "generation":
        return {"id": tenant.generation, "generation_id": tenant.generation}
    if kind == "pending":
        if ownership == "same_team":
            row = await make_generation(
                world.app, world.writer, team_id=tenant.team, approval_status="pending"
            )
            return {"id": row.id}
        return {"id": tenant.pending}
    if kind == "template" and entry.fresh:
        row = await make_template(world.app, author, team_id=team_id)
        return {"id": row.id}
    if kind == "template":
        return {"id": tenant.template}
    if kind in ("team", "team_with_member"):
        team_id = tenant.team
        if entry.fresh and ownership == "same_team":
            team_id = await make_team_of(world)
        extra = {"body.user_id": world.writer.id}
        if ownership == "other_team":
            extra = {"body.user_id": tenant.member}
        return {"id": team_id} | (extra if kind == "team_with_member" else {})
    if kind == "member":
        if ownership == "other_team":
            return {"id": tenant.team, "userId": tenant.member}
        member = await make_user(world.app, name="member")
        async with world.app.state.parts.db.session() as session:
            session.add(
                Membership(team_id=tenant.team, user_id=member.id, role="viewer")
            )
            await session.commit()
        return {"id": tenant.team, "userId": member.id}
    if kind == "invitation":
        token = new_id("tok", 24)
        who = world.users["owner"] if ownership == "own" else world.stranger
        inviting = await new_team(world.app, world.users["team_owner"], "Inviting")
        await add(
            world.app,
            Invitation(
                team_id=inviting,
                email=who.user.email,
                role="viewer",
                token_hash=hash_secret(world.app.state.parts.config, token),
                invited_by=world.users["team_owner"].id,
                expires_at=utcnow() + timedelta(days=7),
            ),
        )
        return {"token": token}
    if kind == "api_key":
        if mine and entry.fresh:
            return {"id": await fresh_api_key(world, world.users["owner"])}
        return {"id": tenant.api_key}
    if kind == "webhook" and entry.fresh and mine:
        hook = WebhookEndpoint(
            user_id=author.id, url="http://127.0.0.1:9/h", secret="s" * 32
        )
        await add(world.app, hook)
        return {"id": hook.id}
    if kind == "webhook":
        return {"id": tenant.webhook}
    if kind == "delivery":
        return {"id": tenant.webhook, "deliveryId": tenant.delivery}
    if kind == "notification":
        return {"id": tenant.notification}
    if kind == "batch":
        return {"id": tenant.batch}
    if kind == "export" and ownership == "other_team":
        return {"filename": tenant.export.split("?")[0] + "?signature=forged"}
    if kind == "export":
        return {"filename": tenant.export}
    raise AssertionError(f"no target for {kind}")


async def self_headers(world: World, persona: str) -> dict[str, str]:
    """For DELETE /users/me: a throwaway account behind the persona's credential."""
    if persona in M.CREDENTIALS:
        return world.headers[persona]
    user = await make_user(world.app, name="throwaway")
    if persona in M.KEYS:
        scopes = ["read"] if persona == "read_key" else ["read", "write"]
        return bearer(await make_api_key(world.app, user, permissions=scopes))
    return user.headers


def verdict(expected: M.Expect, response: httpx.Response) -> str | None:
    """None when the answer matches the cell; otherwise what was wrong."""
    status = response.status_code
    if expected == M.OK:
        return None if 200 <= status < 400 else f"{status} {response.text[:160]}"
    if expected == M.ANY:
        # a public route may refuse the (empty) body, or say it is not
        # configured here (503), but never with a server error
        if status >= 500 and status != 503:
            return f"{status} {response.text[:160]}"
        return None
    if status != expected:
        return f"{status} {response.text[:160]}"
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"{status} without the error envelope"
    return None if code == CODES[int(expected)] else f"{status} code {code}"


@pytest.fixture(scope="module")
def module_settings(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    pg_database: str | None,
) -> Any:
    tmp = tmp_path_factory.mktemp("authz")
    url = pg_database
    if url is None:
        shutil.copy(sqlite_template, tmp / "harvest.db")
        url = f"sqlite+aiosqlite:///{tmp / 'harvest.db'}"
    limits = {tier: UNLIMITED for tier in ("anonymous", "auth", "free", "pro")}
    yield Settings(
        env="test",
        var_dir=tmp / "var",
        database_url=url,
        redis_url=REDIS_URL,
        secret_key="test-secret-" + "x" * 40,
        public_url="http://testserver",
        webhook_allow_private=True,
        rate_limit_namespace=uuid.uuid4().hex[:12],
        rate_limits=limits,
        offline_writer_delay_seconds=0.0,
    )
    if pg_database is not None:
        support.empty_pg(pg_database)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world_app(module_settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(module_settings, auto_migrate=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def http(world_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=world_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver"
    ) as c:
        yield c


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(world_app: Starlette, http: httpx.AsyncClient) -> World:
    return await build_world(world_app, http)


# --- completeness --------------------------------------------------------


@functools.cache
def sdl_schema() -> GraphQLSchema:
    """The printed schema, built once (building it takes a good part of a second)."""
    return build_schema(SCHEMA.read_text(encoding="utf-8"))


def schema_roots() -> dict[str, dict[str, GraphQLField]]:
    schema = sdl_schema()
    roots = {}
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        assert root is not None
        roots[root.name] = dict(root.fields)
    return roots


def schema_edges() -> set[tuple[str, str]]:
    """Object-typed fields (off the roots) whose type carries an ``id``."""
    schema = sdl_schema()
    edges = set()
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in ("Query", "Mutation", "Subscription"):
            continue
        if not isinstance(kind, GraphQLObjectType):
            continue
        for field_name, fld in kind.fields.items():
            inner = get_named_type(fld.type)
            if isinstance(inner, GraphQLObjectType) and "id" in inner.fields:
                edges.add((name, field_name))
    return edges


def all_fields() -> set[tuple[str, str]]:
    schema = sdl_schema()
    return {
        (name, field_name)
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLObjectType)
        for field_name in kind.fields
    }


def test_every_rest_route_is_in_the_matrix_and_nothing_else() -> None:
    served = {route.key for route in ROUTES}

    assert sorted(served - set(M.REST)) == [], "routes missing from the matrix"
    assert sorted(set(M.REST) - served) == [], "matrix rows for no route"


def test_every_graphql_root_field_and_edge_is_in_the_matrix() -> None:
    fields = {name for root in schema_roots().values() for name in root}
    listed = set(M.PUBLIC_FIELDS) | set(M.BY_ID) | set(M.CALLER_FIELDS)

    assert sorted(fields - listed) == [], "root fields missing from the matrix"
    assert sorted(listed - fields) == [], "matrix names fields that are gone"
    assert sorted(M.READ_MUTATIONS - set(schema_roots()["Mutation"])) == []
    assert sorted(set(M.GRAPHQL) - fields) == []
    assert sorted(schema_edges() - set(M.EDGES)) == [], "edges missing"
    assert sorted(set(M.EDGES) - all_fields()) == [], "edges that are gone"


# --- REST: every route, persona and ownership --------------------------


def cells(entry: M.Entry) -> list[tuple[str, str, M.Expect]]:
    found = []
    for persona in M.PERSONAS:
        for ownership in M.OWNERSHIPS:
            expected = entry.rule(persona, ownership)
            if expected is not None:
                found.append((persona, ownership, expected))
    return found


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("key", list(M.REST), ids=[f"{m} {p}" for m, p in M.REST])
async def test_route_answers_each_persona_and_ownership(
    world: World, http: httpx.AsyncClient, key: tuple[str, str]
) -> None:
    method, path = key
    entry = M.REST[key]
    mismatches = []
    public: dict[str, int] = {}

    for persona, ownership, expected in cells(entry):
        params = await target(world, entry, persona, ownership)
        body = dict(entry.body or {}) if entry.body is not None or params else None
        for name, value in params.items():
            if name.startswith("body."):
                assert body is not None
                body[name[5:]] = value
        url = "/v1" + path.format(**{k: v for k, v in params.items() if "." not in k})
        headers = world.headers[persona]
        if entry.target in ("self", "subscriber"):
            headers = await self_headers(world, persona)
        if entry.target == "subscriber" and expected == M.OK:
            # the throwaway account subscribes first, so it has something to cancel
            paid = await http.post("/v1/billing/subscribe", json=M.PRO, headers=headers)
            assert paid.status_code == 200, paid.text
        response = await http.request(
            method, url, json=body, headers=headers, follow_redirects=False
        )
        if expected == M.ANY:
            public[persona] = response.status_code
        wrong = verdict(expected, response)
        if wrong:
            mismatches.append(
                f"{persona}/{ownership}: expected {expected}, got {wrong}"
            )

    assert mismatches == [], f"{method} {path}:\n" + "\n".join(mismatches)
    assert len(set(public.values())) <= 1, f"credentials changed the answer: {public}"


# --- GraphQL: the credential gate and foreign ids -----------------------


def dummy(kind: Any) -> Any:
    if isinstance(kind, GraphQLNonNull):
        return dummy(kind.of_type)
    if isinstance(kind, GraphQLList):
        return [dummy(kind.of_type)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {
            name: dummy(f.type)
            for name, f in kind.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
        } | {}
    assert isinstance(kind, GraphQLScalarType)
    return {
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "JSON": {},
        "DateTime": "2030-01-01T00:00:00Z",
    }.get(kind.name, "x")


def document(operation: str, name: str, fld: GraphQLField, ids: dict[str, str]) -> str:
    """A valid one-field document: required arguments filled, ``__typename``."""
    args = []
    for arg_name, arg in fld.args.items():
        if arg_name in ids:
            args.append(f"{arg_name}: {orjson.dumps(ids[arg_name]).decode()}")
        elif arg_name == "limit":
            args.append("limit: 10")  # list fields must name their page size
        elif isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
            value = dummy(arg.type)
            args.append(f"{arg_name}: {graphql_literal(value, arg.type)}")
    inner = get_named_type(fld.type)
    selection = " { __typename }" if isinstance(inner, GraphQLObjectType) else ""
    arguments = f"({', '.join(args)})" if args else ""
    return f"{operation} {{ {name}{arguments}{selection} }}"


def graphql_literal(value: Any, kind: Any) -> str:
    kind = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    if isinstance(kind, GraphQLEnumType):
        return str(value)
    if isinstance(kind, GraphQLList):
        return "[" + ", ".join(graphql_literal(v, kind.of_type) for v in value) + "]"
    if isinstance(kind, GraphQLInputObjectType):
        parts = [
            f"{k}: {graphql_literal(v, kind.fields[k].type)}" for k, v in value.items()
        ]
        return "{" + ", ".join(parts) + "}"
    if isinstance(kind, GraphQLScalarType) and kind.name == "JSON":
        return "{}"
    return orjson.dumps(value).decode()


OPERATIONS = {"Query": "query", "Mutation": "mutation"}
GATE = [
    (root, name)
    for root, fields in schema_roots().items()
    if root in OPERATIONS
    for name in fields
    if name not in M.PUBLIC_FIELDS
]


def first_code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0].get("extensions", {}).get("code") if errors else None


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("root,name", GATE, ids=[n for _, n in GATE])
async def test_graphql_field_refuses_every_credential_persona(
    world: World, http: httpx.AsyncClient, root: str, name: str
) -> None:
    fld = schema_roots()[root][name]
    query = document(OPERATIONS[root], name, fld, {})
    got = {}

    for persona in M.CREDENTIALS:
        response = await http.post(
            "/graphql", json={"query": query}, headers=world.headers[persona]
        )
        got[persona] = first_code(response.json())

    assert got == {p: "UNAUTHORIZED" for p in M.CREDENTIALS}, query


def foreign_ids(world: World, kind: str) -> dict[str, str]:
    f = world.foreign
    value = {
        "generation": f.generation,
        "pending": f.pending,
        "team": f.team,
        "template": f.template,
        "batch": f.batch,
        "webhook": f.webhook,
        "api_key": f.api_key,
        "notification": f.notification,
    }[kind]
    ids = {"id": value, "teamId": value, "endpointId": value}
    if kind == "webhook":
        ids["deliveryId"] = f.delivery
    if kind == "api_key":
        ids["input"] = value
    return ids


HTTP_BY_ID = [
    (root, name)
    for root, fields in schema_roots().items()
    if root in OPERATIONS
    for name in fields
    if name in M.BY_ID
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("root,name", HTTP_BY_ID, ids=[n for _, n in HTTP_BY_ID])
async def test_graphql_field_answers_not_found_for_a_foreign_id(
    world: World, http: httpx.AsyncClient, root: str, name: str
) -> None:
    fld = schema_roots()[root][name]
    ids = foreign_ids(world, M.BY_ID[name])
    if name == "apiKeyRotate":
        rotate = f'apiKeyRotate(input: {{id: "{ids["id"]}"}})'
        query = f"mutation {{ {rotate} {{ __typename }} }}"
    else:
        query = document(OPERATIONS[root], name, fld, ids)

    response = await http.post(
        "/graphql", json={"query": query}, headers=world.headers["owner"]
    )
    body = response.json()

    assert first_code(body) == "NOT_FOUND", (query, body)
    assert (body.get("data") or {}).get(name) is None


# --- lists and searches: no foreign id ----------------------------------


LISTS = [
    "/v1/generate/history?limit=100",
    "/v1/generate/history?limit=100&search=notes",
    "/v1/templates?limit=100",
    "/v1/templates?limit=100&search=Tenant",
    "/v1/teams?limit=100",
    "/v1/notifications?limit=100",
    "/v1/webhooks?limit=100",
    "/v1/users/me/api-keys?limit=100",
    "/v1/billing/invoices?limit=100",
]


def tenant_ids(tenant: Tenant) -> set[str]:
    """The tenant's object ids (its export link is a link, not an id)."""
    return {v for k, v in vars(tenant).items() if v and k != "export"}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("persona", ["owner", "write_key", "non_member", *M.TEAM_ROLE])
async def test_lists_and_searches_hold_no_foreign_id(
    world: World, http: httpx.AsyncClient, persona: str
) -> None:
    forbidden = tenant_ids(world.foreign) | {world.stranger.id}
    if persona in ("owner", "write_key", "non_member"):
        forbidden |= tenant_ids(world.team) - {""}
    if persona != "owner" and persona != "write_key":
        forbidden |= tenant_ids(world.own)
    seen = []

    for url in LISTS:
        response = await http.get(url, headers=world.headers[persona])
        assert response.status_code == 200, (url, response.text)
        seen += [(url, i) for i in forbidden if i in response.text]

    assert seen == [], f"{persona} sees foreign ids: {seen}"


@pytest.mark.asyncio(loop_scope="module")
async def test_lists_do_show_the_callers_own_objects(
    world: World, http: httpx.AsyncClient
) -> None:
    """The list check above can fail: the same lists do carry the owner's ids."""
    history = await http.get(
        "/v1/generate/history?limit=100", headers=world.headers["owner"]
    )
    team = await http.get(
        f"/v1/generate/history?limit=100&team_id={world.team.team}",
        headers=world.headers["team_viewer"],
    )

    assert world.own.generation in history.text
    assert world.team.generation in team.text


# --- WebSocket channels: foreign users, teams and generations ----------


@pytest.fixture(scope="module")
def server(world: World, module_settings: Settings) -> Any:
    live = support.LiveServer(module_settings)
    live.start()
    yield live
    live.stop()


@pytest.mark.asyncio(loop_scope="module")
async def test_spec_websocket_refuses_foreign_channels(
    world: World, server: support.LiveServer
) -> None:
    token = world.users["owner"].token
    asks = {
        "own feed": {"channel": "generations"},
        "own team feed": None,
        "foreign user feed": {
            "channel": "generations",
            "filters": {"user_id": world.stranger.id},
        },
        "foreign team feed": {
            "channel": "generations",
            "filters": {"team_id": world.foreign.team},
        },
        "foreign generation": {
            "channel": "generation",
            "generation_id": world.foreign.generation,
        },
    }
    got = {}

    async with connect(f"{server.ws_url}/v1?token={token}") as ws:
        assert (await receive(ws))["type"] == "connected"
        for name, message in asks.items():
            if message is None:
                continue
            await send(ws, {"type": "subscribe", **message})
            frame = await receive(ws)
            got[name] = frame.get("error", {}).get("code") or frame["type"]

    assert got == {
        "own feed": "subscribed",
        "foreign user feed": "FORBIDDEN",
        "foreign team feed": "NOT_FOUND",
        "foreign generation": "NOT_FOUND",
    }


@pytest.mark.asyncio(loop_scope="module")
async def test_graphql_subscriptions_refuse_foreign_ids(
    world: World, server: support.LiveServer
) -> None:
    gen, team = world.foreign.generation, world.foreign.team
    asks = {
        "follow": f'subscription {{ generationFollow(id: "{gen}") {{ type }} }}',
        "events": f'subscription {{ generationEvents(teamId: "{team}") {{ type }} }}',
    }
    got = {}

    async with connect(
        f"{server.ws_url}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await send(
            ws,
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {world.users['owner'].token}"},
            },
        )
        assert (await receive(ws))["type"] == "connection_ack"
        for number, (name, query) in enumerate(asks.items()):
            await send(
                ws,
                {"id": str(number), "type": "subscribe", "payload": {"query": query}},
            )
            frame = await receive(ws)
            while frame.get("id") != str(number) or frame["type"] == "complete":
                frame = await receive(ws)
            payload = frame.get("payload")
            if isinstance(payload, list):
                payload = {"errors": payload}
            got[name] = (frame["type"], first_code(payload or {}))

    assert {name: code for name, (_, code) in got.items()} == {
        "follow": "NOT_FOUND",
        "events": "NOT_FOUND",
    }, got


# --- nested edges: a foreign parent hides them, a visible one leaks nothing


def leaves(type_name: str) -> str:
    """Every argument-free scalar or enum field of ``type_name``."""
    kind = sdl_schema().type_map[type_name]
    assert isinstance(kind, GraphQLObjectType)
    names = [
        name
        for name, fld in kind.fields.items()
        if not fld.args
        and isinstance(get_named_type(fld.type), GraphQLScalarType | GraphQLEnumType)
    ]
    return "{ " + " ".join(names) + " }"


def through(root: str, args: str, *edges: tuple[str, str]) -> str:
    """A query of ``root(args)`` selecting each (edge, its type)'s leaves."""
    inner = " ".join(f"{edge} {leaves(kind)}" for edge, kind in edges)
    return f"query {{ {root}({args}) {{ id {inner} }} }}"


FOREIGN_PARENTS = {
    "Team.members, Team.usage": lambda w: through(
        "team",
        f'id: "{w.foreign.team}"',
        ("members", "TeamMember"),
        ("usage", "TeamUsage"),
    ),
    "Generation.versions": lambda w: through(
        "generation",
        f'id: "{w.foreign.generation}"',
        ("versions", "GenerationVersion"),
    ),
    "Template.author": lambda w: through(
        "template", f'id: "{w.foreign.template}"', ("author", "TemplateAuthor")
    ),
    "Batch.items": lambda w: through(
        "batch", f'id: "{w.foreign.batch}"', ("items", "BatchItem")
    ),
}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("edges", list(FOREIGN_PARENTS))
async def test_nested_edges_of_a_foreign_parent_answer_not_found(
    world: World, http: httpx.AsyncClient, edges: str
) -> None:
    query = FOREIGN_PARENTS[edges](world)

    for persona in ("owner", "non_member", "team_admin"):
        response = await http.post(
            "/graphql", json={"query": query}, headers=world.headers[persona]
        )
        body = response.json()
        assert first_code(body) == "NOT_FOUND", (persona, body)
        assert body.get("data") is None or not any(body["data"].values())
        assert world.stranger.id not in response.text


VISIBLE_EDGES = {
    "Team.members": lambda w: through(
        "team", f'id: "{w.team.team}"', ("members", "TeamMember")
    ),
    "TeamSummary.owner": lambda w: (
        "query { teams(limit: 100) { teams { id owner "
        f"{leaves('TeamOwner')} }} }} }}"
    ),
    "Template.author": lambda w: (
        "query { templates(limit: 100) { templates { id author "
        f"{leaves('TemplateAuthor')} }} }} }}"
    ),
    "Generation.versions": lambda w: (
        f'query {{ generations(limit: 100, teamId: "{w.team.team}") '
        f"{{ generations {{ id versions {leaves('GenerationVersion')} }} }} }}"
    ),
}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("edge", list(VISIBLE_EDGES))
async def test_nested_edges_of_a_visible_parent_hold_no_foreign_id(
    world: World, http: httpx.AsyncClient, edge: str
) -> None:
    query = VISIBLE_EDGES[edge](world)
    forbidden = tenant_ids(world.foreign) | tenant_ids(world.own)
    forbidden |= {world.stranger.id, world.users["owner"].id}

    response = await http.post(
        "/graphql", json={"query": query}, headers=world.headers["team_viewer"]
    )

    assert "errors" not in response.json(), response.text
    assert world.team.team in response.text or edge != "Team.members"
    assert sorted(i for i in forbidden if i in response.text) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_subscribed_feeds_carry_no_foreign_generation(
    world: World, server: support.LiveServer
) -> None:
    """The owner's feed and the team's feed, open while the stranger generates
    in the stranger's team and then the owner and the writer generate: each
    feed sees its own generation's events and nothing of the stranger's."""
    feeds = {
        "owner": ({"channel": "generations"}, "owner"),
        "team": (
            {"channel": "generations", "filters": {"team_id": world.team.team}},
            "team_viewer",
        ),
    }
    body = {
        "format": "email",
        "input": "Thank everyone",
        "options": {"length": "short"},
    }
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(
            httpx.AsyncClient(base_url=server.url, timeout=30)
        )
        sockets = {}
        for name, (message, persona) in feeds.items():
            token = world.headers[persona]["Authorization"].split()[1]
            ws = await stack.enter_async_context(
                connect(f"{server.ws_url}/v1?token={token}")
            )
            assert (await receive(ws))["type"] == "connected"
            await send(ws, {"type": "subscribe", **message})
            assert (await receive(ws))["type"] == "subscribed"
            sockets[name] = ws
        answers = {
            "foreign": await http.post(
                "/v1/generate",
                json=body | {"metadata": {"team_id": world.foreign.team}},
                headers=world.stranger.headers,
            ),
            "owner": await http.post(
                "/v1/generate", json=body, headers=world.users["owner"].headers
            ),
            "team": await http.post(
                "/v1/generate",
                json=body | {"metadata": {"team_id": world.team.team}},
                headers=world.writer.headers,
            ),
        }
        assert all(a.status_code == 200 for a in answers.values()), answers
        ids = {name: a.json()["generation"]["id"] for name, a in answers.items()}
        seen: dict[str, list[dict[str, Any]]] = {}
        for name, ws in sockets.items():
            # up to the end of the feed's own generation, which started after
            # the stranger's had finished
            seen[name] = []
            while not any(
                f.get("generation_id") == ids[name]
                and f["type"] == "generation_complete"
                for f in seen[name]
            ):
                seen[name].append(await receive(ws, timeout=20))

    for name, frames in seen.items():
        assert not any(ids["foreign"] in orjson.dumps(f).decode() for f in frames), (
            name,
            frames,
        )


MUTATIONS = [
    name for root, name in GATE if root == "Mutation" and name not in M.READ_MUTATIONS
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("name", MUTATIONS)
async def test_graphql_mutation_refuses_a_read_only_key(
    world: World, http: httpx.AsyncClient, name: str
) -> None:
    fld = schema_roots()["Mutation"][name]
    query = document("mutation", name, fld, {})

    response = await http.post(
        "/graphql", json={"query": query}, headers=world.headers["read_key"]
    )

    assert first_code(response.json()) == "FORBIDDEN", (query, response.text)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("name", list(M.GRAPHQL))
async def test_graphql_only_field_answers_each_persona_and_ownership(
    world: World, http: httpx.AsyncClient, name: str
) -> None:
    entry, query = M.GRAPHQL[name]
    mismatches = []

    for persona, ownership, expected in cells(entry):
        params = await target(world, entry, persona, ownership)
        response = await http.post(
            "/graphql",
            json={"query": query, "variables": {"id": params["id"]}},
            headers=world.headers[persona],
        )
        body = response.json()
        code = first_code(body)
        wanted = None if expected == M.OK else CODES[int(expected)]
        if code != wanted:
            mismatches.append(
                f"{persona}/{ownership}: expected {expected}, got {code} "
                + response.text[:160]
            )

    assert mismatches == [], f"{name}:\n" + "\n".join(mismatches)


WS_CLOSE = {
    "anonymous": 1008,
    "bad_token": 4000,
    "expired_token": 4001,
    "revoked_token": 4000,
    "revoked_key": 4000,
}


@pytest.mark.asyncio(loop_scope="module")
async def test_spec_websocket_closes_on_every_credential_persona(
    world: World, server: support.LiveServer
) -> None:
    got = {}

    for persona in M.CREDENTIALS:
        headers = world.headers[persona]
        async with connect(f"{server.ws_url}/v1", additional_headers=headers) as ws:
            if not headers:
                await send(ws, {"type": "subscribe", "channel": "generations"})
            got[persona] = await close_code(ws)

    assert got == WS_CLOSE


@pytest.mark.asyncio(loop_scope="module")
async def test_graphql_subscriptions_refuse_every_credential_persona(
    world: World, server: support.LiveServer
) -> None:
    query = "subscription { notificationReceived { id } }"
    got: dict[str, object] = {}

    for persona in M.CREDENTIALS:
        url = f"{server.ws_url}/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            init = {"type": "connection_init", "payload": world.headers[persona]}
            await send(ws, init)
            try:
                frame = await receive(ws)
                if frame["type"] == "connection_ack":
                    ask = {"id": "1", "type": "subscribe", "payload": {"query": query}}
                    await send(ws, ask)
                    frame = await receive(ws)
            except ConnectionClosed:
                got[persona] = ws.close_code
                continue
            payload = frame.get("payload")
            if isinstance(payload, list):
                payload = {"errors": payload}
            got[persona] = first_code(payload or {}) or frame

    # a credential that fails is refused at connection_init (4403, the
    # protocol's Forbidden); no credential at all, at the first subscribe
    assert got == {"anonymous": "UNAUTHORIZED"} | {p: 4403 for p in M.CREDENTIALS[1:]}


@pytest.mark.asyncio(loop_scope="module")
async def test_a_key_deleted_while_in_use_is_refused_at_once(
    world: World, http: httpx.AsyncClient
) -> None:
    """The revoked key persona was deleted before its first use; a key deleted
    after use is refused on the very next request too, on both surfaces (no
    cache keeps it alive)."""
    user = await make_user(world.app, name="busy")
    secret = await make_api_key(world.app, user, permissions=["read", "write"])
    before = await http.get("/v1/users/me", headers=bearer(secret))
    async with world.app.state.parts.db.session() as session:
        digest = hash_secret(world.app.state.parts.config, secret)
        first = await session.scalar(select(ApiKey.id).where(ApiKey.key_hash == digest))
    deleted = await http.delete(f"/v1/users/me/api-keys/{first}", headers=user.headers)
    after = await http.get("/v1/users/me", headers=bearer(secret))
    graphql_after = await http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers=bearer(secret)
    )

    assert (before.status_code, deleted.status_code) == (200, 200)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "UNAUTHORIZED"
    assert first_code(graphql_after.json()) == "UNAUTHORIZED"
