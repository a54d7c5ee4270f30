"""Every team, template and approval route, and the GraphQL field behind it,
for anonymous, outsider, viewer, editor, admin and owner: the expected status,
and nothing of a team or a private template in the answers of those who may
not see it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from models.base import new_id, utcnow
from models.generation import Generation
from models.team import Invitation
from resolvers.auth_tokens import hash_secret
from rest_compat.documents import team as team_docs
from rest_compat.documents import template as template_docs
from rest_compat.routes import ROUTES
from tests.factories import UserHandle, make_user
from tests.team.factories import TeamWorld, add_membership, make_world
from tests.template.factories import make_template

PERSONAS = ("anonymous", "outsider", "viewer", "editor", "admin", "owner")
TEAM_NAME = "Zeta Secret Team"
TEAM_PROMPT = "TEAM-ONLY-PROMPT about {{topic}}"
PRIVATE_PROMPT = "OWNER-PRIVATE-PROMPT about {{topic}}"
CODE = {200: None, 201: None, 401: "UNAUTHORIZED", 403: "FORBIDDEN"}
CODE |= {404: "NOT_FOUND", 409: "CONFLICT"}


@dataclass
class Scene:
    """A team world with the things the routes act on."""

    world: TeamWorld
    extra: UserHandle
    team_template: str
    private_template: str
    pending_generation: str
    invite_token: str

    @property
    def secrets(self) -> tuple[str, ...]:
        return (
            TEAM_NAME,
            self.world.team.invite_code,
            "TEAM-ONLY-PROMPT",
            "OWNER-PRIVATE-PROMPT",
        )


async def make_scene(app: Starlette) -> Scene:
    world = await make_world(app, name=TEAM_NAME, settings={"approval_required": True})
    extra = await make_user(app, name="Eve Extra")
    await add_membership(app, world.team, extra, "editor")
    team_template = await make_template(
        app, extra, prompt=TEAM_PROMPT, team_id=world.id, name="Team Template"
    )
    private = await make_template(app, world.owner, prompt=PRIVATE_PROMPT)
    token = new_id("tok", 24)
    async with app.state.parts.db.session() as session:
        generation = Generation(
            user_id=extra.id,
            team_id=world.id,
            format="blog",
            status="completed",
            model="offline",
            input="x",
            approval_status="pending",
        )
        session.add(generation)
        session.add(
            Invitation(
                team_id=world.id,
                email=world.outsider.user.email,
                role="viewer",
                token_hash=hash_secret(app.state.parts.config, token),
                invited_by=world.owner.id,
                expires_at=utcnow() + timedelta(days=7),
            )
        )
        await session.commit()
    return Scene(world, extra, team_template.id, private.id, generation.id, token)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: Callable[[Scene], str]
    body: Callable[[Scene], dict[str, Any] | None]
    document: str
    variables: Callable[[Scene], dict[str, Any]]
    expected: tuple[int, int, int, int, int, int]


def _none(s: Scene) -> None:
    return None


APPROVALS = ("/approve", "/reject")
# A short text: the offline writer paces its chunks, and each use waits for it.
USE_BODY = {"variables": {"topic": "x"}, "options": {"length": "short"}}


def route_pattern(path: str) -> re.Pattern[str]:
    """The table's path with each ``{param}`` matching one path segment."""
    return re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)))


MEMBERS_ONLY = (401, 404, 200, 200, 200, 200)
ADMINS = (401, 404, 403, 403, 200, 200)
ANYONE = (401, 200, 200, 200, 200, 200)

CASES = [
    Case(
        "list teams",
        "GET",
        lambda s: "/teams",
        _none,
        team_docs.TEAM_LIST,
        lambda s: {},
        ANYONE,
    ),
    Case(
        "create team",
        "POST",
        lambda s: "/teams",
        lambda s: {"name": "Another"},
        team_docs.TEAM_CREATE,
        lambda s: {"input": {"name": "Another"}},
        (401, 201, 201, 201, 201, 201),
    ),
    Case(
        "get team",
        "GET",
        lambda s: f"/teams/{s.world.id}",
        _none,
        team_docs.TEAM_GET,
        lambda s: {"id": s.world.id},
        MEMBERS_ONLY,
    ),
    Case(
        "update team",
        "PATCH",
        lambda s: f"/teams/{s.world.id}",
        lambda s: {"description": "changed"},
        team_docs.TEAM_UPDATE,
        lambda s: {"id": s.world.id, "input": {"description": "changed"}},
        ADMINS,
    ),
    Case(
        "delete team",
        "DELETE",
        lambda s: f"/teams/{s.world.id}",
        _none,
        team_docs.TEAM_DELETE,
        lambda s: {"id": s.world.id},
        (401, 404, 403, 403, 403, 200),
    ),
    Case(
        "invite",
        "POST",
        lambda s: f"/teams/{s.world.id}/invite",
        lambda s: {"email": "new@example.com", "role": "viewer"},
        team_docs.TEAM_INVITE,
        lambda s: {"id": s.world.id, "input": {"email": "new@example.com"}},
        ADMINS,
    ),
    Case(
        "remove member",
        "DELETE",
        lambda s: f"/teams/{s.world.id}/members/{s.extra.id}",
        _none,
        team_docs.TEAM_MEMBER_REMOVE,
        lambda s: {"id": s.world.id, "userId": s.extra.id},
        ADMINS,
    ),
    Case(
        "remove the owner",
        "DELETE",
        lambda s: f"/teams/{s.world.id}/members/{s.world.owner.id}",
        _none,
        team_docs.TEAM_MEMBER_REMOVE,
        lambda s: {"id": s.world.id, "userId": s.world.owner.id},
        (401, 404, 403, 403, 403, 403),
    ),
    Case(
        "change role",
        "PATCH",
        lambda s: f"/teams/{s.world.id}/members/{s.extra.id}",
        lambda s: {"role": "viewer"},
        team_docs.TEAM_MEMBER_ROLE_UPDATE,
        lambda s: {"id": s.world.id, "userId": s.extra.id, "role": "viewer"},
        ADMINS,
    ),
    Case(
        "demote the owner",
        "PATCH",
        lambda s: f"/teams/{s.world.id}/members/{s.world.owner.id}",
        lambda s: {"role": "viewer"},
        team_docs.TEAM_MEMBER_ROLE_UPDATE,
        lambda s: {"id": s.world.id, "userId": s.world.owner.id, "role": "viewer"},
        (401, 404, 403, 403, 403, 403),
    ),
    Case(
        "leave",
        "POST",
        lambda s: f"/teams/{s.world.id}/leave",
        _none,
        team_docs.TEAM_LEAVE,
        lambda s: {"id": s.world.id},
        (401, 404, 200, 200, 200, 403),
    ),
    Case(
        "transfer ownership",
        "POST",
        lambda s: f"/teams/{s.world.id}/transfer-ownership",
        lambda s: {"user_id": s.extra.id},
        team_docs.TEAM_OWNERSHIP_TRANSFER,
        lambda s: {"id": s.world.id, "userId": s.extra.id},
        (401, 404, 403, 403, 403, 200),
    ),
    Case(
        "join by code",
        "POST",
        lambda s: "/teams/join",
        lambda s: {"invite_code": s.world.team.invite_code},
        team_docs.TEAM_JOIN,
        lambda s: {"inviteCode": s.world.team.invite_code},
        (401, 200, 409, 409, 409, 409),
    ),
    Case(
        "accept invitation",
        "POST",
        lambda s: f"/invitations/{s.invite_token}/accept",
        _none,
        team_docs.INVITATION_ACCEPT,
        lambda s: {"token": s.invite_token},
        (401, 200, 403, 403, 403, 403),
    ),
    Case(
        "decline invitation",
        "POST",
        lambda s: f"/invitations/{s.invite_token}/decline",
        _none,
        team_docs.INVITATION_DECLINE,
        lambda s: {"token": s.invite_token},
        (401, 200, 403, 403, 403, 403),
    ),
    Case(
        "approve generation",
        "POST",
        lambda s: f"/generate/{s.pending_generation}/approve",
        _none,
        team_docs.GENERATION_APPROVE,
        lambda s: {"id": s.pending_generation},
        (401, 404, 404, 404, 200, 200),
    ),
    Case(
        "reject generation",
        "POST",
        lambda s: f"/generate/{s.pending_generation}/reject",
        _none,
        team_docs.GENERATION_REJECT,
        lambda s: {"id": s.pending_generation},
        (401, 404, 404, 404, 200, 200),
    ),
    Case(
        "list templates",
        "GET",
        lambda s: "/templates",
        _none,
        template_docs.TEMPLATE_LIST,
        lambda s: {},
        ANYONE,
    ),
    Case(
        "list a team's templates",
        "GET",
        lambda s: f"/templates?team_id={s.world.id}",
        _none,
        template_docs.TEMPLATE_LIST,
        lambda s: {"teamId": s.world.id},
        MEMBERS_ONLY,
    ),
    Case(
        "create template",
        "POST",
        lambda s: "/templates",
        lambda s: {"name": "Mine", "prompt": "Hello"},
        template_docs.TEMPLATE_CREATE,
        lambda s: {"input": {"name": "Mine", "prompt": "Hello"}},
        (401, 201, 201, 201, 201, 201),
    ),
    Case(
        "create team template",
        "POST",
        lambda s: "/templates",
        lambda s: {"name": "T", "prompt": "Hello", "team_id": s.world.id},
        template_docs.TEMPLATE_CREATE,
        lambda s: {"input": {"name": "T", "prompt": "Hello", "teamId": s.world.id}},
        (401, 404, 403, 201, 201, 201),
    ),
    Case(
        "get team template",
        "GET",
        lambda s: f"/templates/{s.team_template}",
        _none,
        template_docs.TEMPLATE_GET,
        lambda s: {"id": s.team_template},
        MEMBERS_ONLY,
    ),
    Case(
        "update team template",
        "PATCH",
        lambda s: f"/templates/{s.team_template}",
        lambda s: {"name": "Renamed"},
        template_docs.TEMPLATE_UPDATE,
        lambda s: {"id": s.team_template, "input": {"name": "Renamed"}},
        ADMINS,
    ),
    Case(
        "delete team template",
        "DELETE",
        lambda s: f"/templates/{s.team_template}",
        _none,
        template_docs.TEMPLATE_DELETE,
        lambda s: {"id": s.team_template},
        ADMINS,
    ),
    Case(
        "rate team template",
        "POST",
        lambda s: f"/templates/{s.team_template}/rate",
        lambda s: {"rating": 4},
        template_docs.TEMPLATE_RATE,
        lambda s: {"id": s.team_template, "rating": 4},
        MEMBERS_ONLY,
    ),
    Case(
        "use team template",
        "POST",
        lambda s: f"/templates/{s.team_template}/use",
        lambda s: USE_BODY,
        template_docs.TEMPLATE_USE,
        lambda s: {"id": s.team_template, "input": USE_BODY},
        MEMBERS_ONLY,
    ),
    Case(
        "use private template",
        "POST",
        lambda s: f"/templates/{s.private_template}/use",
        lambda s: USE_BODY,
        template_docs.TEMPLATE_USE,
        lambda s: {"id": s.private_template, "input": USE_BODY},
        (401, 404, 404, 404, 404, 200),
    ),
    Case(
        "get private template",
        "GET",
        lambda s: f"/templates/{s.private_template}",
        _none,
        template_docs.TEMPLATE_GET,
        lambda s: {"id": s.private_template},
        (401, 404, 404, 404, 404, 200),
    ),
    Case(
        "update private template",
        "PATCH",
        lambda s: f"/templates/{s.private_template}",
        lambda s: {"description": "x"},
        template_docs.TEMPLATE_UPDATE,
        lambda s: {"id": s.private_template, "input": {"description": "x"}},
        (401, 404, 404, 404, 404, 200),
    ),
    Case(
        "rate private template",
        "POST",
        lambda s: f"/templates/{s.private_template}/rate",
        lambda s: {"rating": 5},
        template_docs.TEMPLATE_RATE,
        lambda s: {"id": s.private_template, "rating": 5},
        (401, 404, 404, 404, 404, 403),
    ),
]


def headers_for(scene: Scene, persona: str) -> dict[str, str]:
    user = scene.world.by_persona(persona)
    return user.headers if user else {}


def assert_nothing_leaks(scene: Scene, persona: str, status: int, text: str) -> None:
    if status < 400:
        return
    for secret in scene.secrets:
        assert secret not in text, f"{persona} got {secret!r} in a {status}"


async def rest_status(
    client: httpx.AsyncClient, case: Case, scene: Scene, persona: str
) -> int:
    response = await client.request(
        case.method,
        "/v1" + case.path(scene),
        json=case.body(scene),
        headers=headers_for(scene, persona),
    )
    assert_nothing_leaks(scene, persona, response.status_code, response.text)
    return response.status_code


async def graphql_code(
    client: httpx.AsyncClient, case: Case, scene: Scene, persona: str
) -> str | None:
    response = await client.post(
        "/graphql",
        json={"query": case.document, "variables": case.variables(scene)},
        headers=headers_for(scene, persona),
    )
    errors = response.json().get("errors") or []
    if not errors:
        return None
    assert_nothing_leaks(scene, persona, 400, response.text)
    return str(errors[0]["extensions"]["code"])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_route_and_field_answer_each_persona_as_expected(
    app: Starlette, client: httpx.AsyncClient, case: Case
) -> None:
    statuses, codes = {}, {}

    for persona in PERSONAS:
        statuses[persona] = await rest_status(
            client, case, await make_scene(app), persona
        )
        codes[persona] = await graphql_code(
            client, case, await make_scene(app), persona
        )

    expected = dict(zip(PERSONAS, case.expected, strict=True))
    assert statuses == expected
    assert codes == {persona: CODE[status] for persona, status in expected.items()}


TEMPLATE_PROMPTS = "query { templates(limit: 100) { templates { prompt name } } }"
TEAM_LISTING = "query { teams(limit: 100) { teams { name } } }"


async def test_lists_show_each_persona_only_what_it_may_see(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    scene = await make_scene(app)
    seen = {}

    for persona in PERSONAS[1:]:
        headers = headers_for(scene, persona)
        prompts = await client.post(
            "/graphql", json={"query": TEMPLATE_PROMPTS}, headers=headers
        )
        teams = await client.post(
            "/graphql", json={"query": TEAM_LISTING}, headers=headers
        )
        text = prompts.text + teams.text
        seen[persona] = (
            "TEAM-ONLY-PROMPT" in text,
            "OWNER-PRIVATE-PROMPT" in text,
            TEAM_NAME in text,
        )

    assert seen == {
        "outsider": (False, False, False),
        "viewer": (True, False, True),
        "editor": (True, False, True),
        "admin": (True, False, True),
        "owner": (True, True, True),
    }


async def test_every_team_template_and_approval_route_is_in_the_matrix(
    app: Starlette,
) -> None:
    scene = await make_scene(app)
    covered = [(c.method, c.path(scene).split("?")[0]) for c in CASES]
    guarded = [
        route
        for route in ROUTES
        if route.tag in ("teams", "templates") or route.path.endswith(APPROVALS)
    ]

    missing = [
        f"{route.method} {route.path}"
        for route in guarded
        if not any(
            method == route.method and route_pattern(route.path).fullmatch(path)
            for method, path in covered
        )
    ]

    assert guarded
    assert not missing, "routes missing from the matrix: " + ", ".join(missing)
