"""Mass assignment: properties a caller may not set (ids, owners, teams, roles,
tier, usage, Stripe ids, hashes and secrets) are ignored in REST bodies, in
snake_case and camelCase alike, and refused as unknown fields in GraphQL inputs.
Each create and update is read back from the database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
)
from sqlmodel import select
from starlette.applications import Starlette

from models.billing import Subscription
from models.generation import Generation
from models.team import Membership, Team
from models.template import Template
from models.user import ApiKey, User
from models.webhook import WebhookEndpoint
from tests.auth.factories import PASSWORD, unique_email
from tests.factories import UserHandle, make_user
from tests.team.factories import make_team

FORGED_ID = "forged_0123456789"


def protected(victim: UserHandle, team_id: str) -> dict[str, Any]:
    """Every protected property, in both spellings the REST shim reads."""
    values: dict[str, Any] = {
        "id": FORGED_ID,
        "user_id": victim.id,
        "owner_id": victim.id,
        "author_id": victim.id,
        "team_id": team_id,
        "role": "owner",
        "subscription_tier": "enterprise",
        "tier": "enterprise",
        "is_admin": True,
        "usage": {"generations_used": -1000},
        "usage_count": 9999,
        "rating_sum": 500,
        "rating_count": 100,
        "tokens_used": -5,
        "status": "completed",
        "stripe_customer_id": "cus_forged",
        "stripe_subscription_id": "sub_forged",
        "provider_subscription_id": "sub_forged",
        "key_hash": "0" * 64,
        "password_hash": "$argon2id$forged",
        "secret": "whsec_forged_secret_value",
        "invite_code": "FORGED",
        "created_at": "2000-01-01T00:00:00Z",
        "email_verified": True,
    }
    camel = {
        "".join(w if i == 0 else w.title() for i, w in enumerate(k.split("_"))): v
        for k, v in values.items()
    }
    return {**values, **camel}


@pytest.fixture
async def world(app: Starlette) -> dict[str, Any]:
    caller = await make_user(app)
    victim = await make_user(app)
    foreign = await make_team(app, victim, name="Victim Team")
    return {"caller": caller, "victim": victim, "foreign": foreign.id}


async def row(app: Starlette, model: Any, ident: str) -> Any:
    async with app.state.parts.db.session() as session:
        return await session.get(model, ident)


async def test_signup_ignores_protected_properties(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    body = {
        **protected(world["victim"], world["foreign"]),
        "email": unique_email(),
        "password": PASSWORD,
        "name": "New",
    }

    response = await client.post("/v1/auth/signup", json=body)

    assert response.status_code == 201, response.text
    user = await row(app, User, response.json()["user"]["id"])
    assert user.id != FORGED_ID
    assert user.subscription_tier == "free"
    assert user.is_admin is False
    assert user.stripe_customer_id is None
    assert user.password_hash.startswith("$argon2id$v=")


async def test_profile_update_ignores_protected_properties(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    caller = world["caller"]
    body = {**protected(world["victim"], world["foreign"]), "name": "Renamed"}

    response = await client.patch("/v1/users/me", json=body, headers=caller.headers)

    assert response.status_code == 200, response.text
    user = await row(app, User, caller.id)
    assert user.name == "Renamed"
    assert user.subscription_tier == "free"
    assert user.is_admin is False
    assert user.stripe_customer_id is None
    assert user.password_hash is None


async def test_api_key_creation_ignores_protected_properties(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    caller = world["caller"]
    body = {**protected(world["victim"], world["foreign"]), "name": "ci"}

    response = await client.post(
        "/v1/users/me/api-keys", json=body, headers=caller.headers
    )

    assert response.status_code == 201, response.text
    key = await row(app, ApiKey, response.json()["api_key"]["id"])
    assert key.user_id == caller.id
    assert key.key_hash != "0" * 64


async def test_team_create_and_update_keep_the_caller_as_owner(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    caller, victim = world["caller"], world["victim"]
    injected = protected(victim, world["foreign"])

    created = await client.post(
        "/v1/teams", json={**injected, "name": "Mine"}, headers=caller.headers
    )
    team_id = created.json()["team"]["id"]
    updated = await client.patch(
        f"/v1/teams/{team_id}",
        json={**injected, "name": "Still mine"},
        headers=caller.headers,
    )

    assert created.status_code == 201, created.text
    assert updated.status_code == 200, updated.text
    team = await row(app, Team, team_id)
    assert team.id != FORGED_ID
    assert team.owner_id == caller.id
    assert team.invite_code != "FORGED"
    async with app.state.parts.db.session() as session:
        members = (
            await session.execute(
                select(Membership).where(Membership.team_id == team_id)
            )
        ).scalars()
        assert {(m.user_id, m.role) for m in members} == {(caller.id, "owner")}


async def test_invitations_and_role_changes_cannot_grant_ownership(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    caller, victim = world["caller"], world["victim"]
    team = await make_team(app, caller, name="Roles")
    async with app.state.parts.db.session() as session:
        session.add(Membership(team_id=team.id, user_id=victim.id, role="viewer"))
        await session.commit()

    invite = await client.post(
        f"/v1/teams/{team.id}/invite",
        json={"email": unique_email(), "role": "owner"},
        headers=caller.headers,
    )
    promote = await client.patch(
        f"/v1/teams/{team.id}/members/{victim.id}",
        json={"role": "owner"},
        headers=caller.headers,
    )

    assert invite.status_code == 400
    assert promote.status_code == 400
    refreshed = await row(app, Team, team.id)
    assert refreshed.owner_id == caller.id


async def test_template_create_and_update_ignore_owner_usage_and_ratings(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    caller, victim = world["caller"], world["victim"]
    injected = protected(victim, world["foreign"])
    injected.pop("team_id")
    injected.pop("teamId")
    fields = {"name": "T", "prompt": "Write about the sea", "format": "blog"}

    created = await client.post(
        "/v1/templates", json={**injected, **fields}, headers=caller.headers
    )
    template_id = created.json()["template"]["id"]
    updated = await client.patch(
        f"/v1/templates/{template_id}",
        json={**injected, "name": "T2"},
        headers=caller.headers,
    )

    assert created.status_code == 201, created.text
    assert updated.status_code == 200, updated.text
    template = await row(app, Template, template_id)
    assert template.id != FORGED_ID
    assert template.author_id == caller.id
    assert template.team_id is None
    assert (template.usage_count, template.rating_sum, template.rating_count) == (
        0,
        0,
        0,
    )


async def test_a_template_cannot_be_placed_in_another_users_team(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    caller = world["caller"]
    fields = {"name": "T", "prompt": "Write about it", "format": "blog"}

    created = await client.post(
        "/v1/templates",
        json={**fields, "team_id": world["foreign"]},
        headers=caller.headers,
    )
    mine = await client.post("/v1/templates", json=fields, headers=caller.headers)
    moved = await client.patch(
        f"/v1/templates/{mine.json()['template']['id']}",
        json={"team_id": world["foreign"]},
        headers=caller.headers,
    )

    assert created.status_code in (403, 404)
    assert moved.status_code in (403, 404)
    template = await row(app, Template, mine.json()["template"]["id"])
    assert template.team_id is None


async def test_generation_ignores_protected_properties_and_foreign_teams(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    caller, victim = world["caller"], world["victim"]
    injected = protected(victim, world["foreign"])
    request = {"format": "summary", "input": "A short text about the sea and sky."}

    plain = await client.post(
        "/v1/generate",
        json={**injected, **request, "metadata": {"label": "x"}},
        headers=caller.headers,
    )
    foreign = await client.post(
        "/v1/generate",
        json={**request, "metadata": {"team_id": world["foreign"]}},
        headers=caller.headers,
    )

    assert plain.status_code == 200, plain.text
    generation = await row(app, Generation, plain.json()["generation"]["id"])
    assert generation.id != FORGED_ID
    assert generation.user_id == caller.id
    assert generation.team_id is None
    assert generation.tokens_used >= 0
    assert foreign.status_code in (403, 404)


async def test_webhook_endpoints_get_a_server_chosen_secret_and_owner(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    caller, victim = world["caller"], world["victim"]
    injected = protected(victim, world["foreign"])
    url = "https://93.184.215.14/hook"

    created = await client.post(
        "/v1/webhooks", json={**injected, "url": url}, headers=caller.headers
    )
    endpoint_id = created.json()["id"]
    updated = await client.patch(
        f"/v1/webhooks/{endpoint_id}",
        json={**injected, "description": "d"},
        headers=caller.headers,
    )

    assert created.status_code == 201, created.text
    assert updated.status_code == 200, updated.text
    endpoint = await row(app, WebhookEndpoint, endpoint_id)
    assert endpoint.id != FORGED_ID
    assert endpoint.user_id == caller.id
    assert endpoint.secret != "whsec_forged_secret_value"


async def test_subscribing_ignores_provider_ids_and_status(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    caller, victim = world["caller"], world["victim"]
    injected = protected(victim, world["foreign"])
    injected.pop("tier")

    response = await client.post(
        "/v1/billing/subscribe",
        json={**injected, "tier": "pro", "payment_method_id": "pm_card_visa"},
        headers=caller.headers,
    )

    assert response.status_code in (200, 201), response.text
    async with app.state.parts.db.session() as session:
        rows = (await session.execute(select(Subscription))).scalars().all()
    assert [s.user_id for s in rows] == [caller.id]
    assert all("forged" not in str(s.model_dump()) for s in rows)
    user = await row(app, User, caller.id)
    assert user.stripe_customer_id in (None,) or "forged" not in user.stripe_customer_id
    victim_row = await row(app, User, victim.id)
    assert victim_row.subscription_tier == "free"


PROTECTED_INPUT_FIELDS = {
    "id",
    "userId",
    "ownerId",
    "authorId",
    "teamId",
    "role",
    "subscriptionTier",
    "tier",
    "isAdmin",
    "usage",
    "usageCount",
    "ratingSum",
    "ratingCount",
    "tokensUsed",
    "status",
    "stripeCustomerId",
    "stripeSubscriptionId",
    "keyHash",
    "passwordHash",
    "secret",
    "inviteCode",
    "createdAt",
}

# Fields of these names that an input carries on purpose, each checked by the
# resolver it reaches (membership, assignable roles, plan names).
DELIBERATE = {
    ("ApiKeyRotateInput", "id"),
    ("BatchItemInput", "id"),
    ("TemplateCreateInput", "teamId"),
    ("TemplateUpdateInput", "teamId"),
    ("TeamInviteInput", "role"),
    ("SubscriptionCreateInput", "tier"),
}


def graphql_schema(app: Starlette) -> Any:
    return app.state.schema._schema


def test_no_graphql_input_declares_a_protected_field_by_accident(
    app: Starlette,
) -> None:
    schema = graphql_schema(app)

    declared = {
        (name, field)
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLInputObjectType)
        for field in kind.fields
        if field in PROTECTED_INPUT_FIELDS
    }

    assert declared - DELIBERATE == set()


def _named(kind: Any) -> Any:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def injection_documents(schema: Any) -> dict[str, str]:
    """One mutation per input-taking field, its input carrying ``ownerId``."""
    documents = {}
    for name, field in schema.mutation_type.fields.items():
        for arg_name, arg in field.args.items():
            if not isinstance(_named(arg.type), GraphQLInputObjectType):
                continue
            returned = _named(field.type)
            selection = (
                " { __typename }"
                if isinstance(returned, GraphQLObjectType | GraphQLUnionType)
                else ""
            )
            documents[name] = (
                f'mutation {{ {name}({arg_name}: {{ownerId: "{FORGED_ID}"}})'
                f"{selection} }}"
            )
    return documents


async def test_every_graphql_mutation_input_refuses_an_injected_owner(
    client: httpx.AsyncClient, app: Starlette, world: dict[str, Any]
) -> None:
    documents = injection_documents(graphql_schema(app))

    answers = {
        name: (
            await client.post(
                "/graphql", json={"query": doc}, headers=world["caller"].headers
            )
        ).json()
        for name, doc in documents.items()
    }

    assert len(documents) >= 20
    executed = {n: a for n, a in answers.items() if a.get("data") is not None}
    assert executed == {}
    unnamed = {
        n: a
        for n, a in answers.items()
        if not any("ownerId" in e["message"] for e in a["errors"])
    }
    assert unnamed == {}
