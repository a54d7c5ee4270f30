"""Prompt templates: create, find, change, rate, render and use.

A template is visible when it is public, when the caller wrote it, or when
it belongs to a team of the caller and that team shares templates
(``permissions.can_see_template``). A template the caller cannot see does
not exist for them (NOT_FOUND); one they can see but not change is
FORBIDDEN to change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import new_id, utcnow
from models.generation import Generation
from models.team import Team
from models.template import Template, TemplateRating
from models.user import User
from resolvers import permissions
from resolvers.context import RequestContext
from resolvers.errors import Forbidden, NotFound, ValidationFailed
from resolvers.generation import raise_if_failed, start_generation
from resolvers.generation_request import FORMATS, GenerationRequest
from resolvers.generation_runner import await_generation
from resolvers.pagination import PageInfo, PageRequest, paginate
from resolvers.permissions import Action
from resolvers.teams import PersonSummary, team_settings
from resolvers.template_variables import (
    parse_variables,
    render,
    resolve_values,
    stored_variables,
)

logger = logging.getLogger(__name__)

NAME_MAX = 200
DESCRIPTION_MAX = 2000
CATEGORY_MAX = 64
PROMPT_MAX = 20_000
SEARCH_MAX = 200
SORTABLE = ("created_at", "usage_count", "rating", "name")


@dataclass(frozen=True)
class TemplateView:
    """A template with its author and its average rating (None: unrated)."""

    template: Template
    author: PersonSummary
    rating: float | None
    my_rating: int | None = None


@dataclass(frozen=True)
class Access:
    """What the caller may do with one template."""

    template: Template
    team_role: str | None
    can_change: bool


def average_rating(template: Template) -> float | None:
    if not template.rating_count:
        return None
    return round(template.rating_sum / template.rating_count, 2)


def _text(value: str, *, field: str, limit: int, required: bool) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise ValidationFailed(field=field, reason="must not be empty")
    if len(cleaned) > limit:
        raise ValidationFailed(field=field, reason=f"at most {limit} characters")
    return cleaned


def _format(value: str) -> str:
    if value not in FORMATS:
        raise ValidationFailed(
            field="format", reason="must be one of " + ", ".join(FORMATS)
        )
    return value


async def _team_access(
    session: AsyncSession, *, team_id: str | None, user_id: str
) -> tuple[str | None, bool]:
    """The caller's role in the team and whether the team shares templates."""
    if team_id is None:
        return None, False
    team = await session.get(Team, team_id)
    if team is None:
        return None, False
    role = await permissions.member_role(session, team_id=team_id, user_id=user_id)
    return role, team_settings(team).shared_templates


async def template_access(
    session: AsyncSession, *, template_id: str, user_id: str
) -> Access:
    """The template if the caller may see it, else NOT_FOUND."""
    template = await session.get(Template, template_id)
    if template is None:
        raise NotFound("Template not found", details={"template_id": template_id})
    is_author = template.author_id == user_id
    role, shared = await _team_access(
        session, team_id=template.team_id, user_id=user_id
    )
    if not permissions.can_see_template(
        is_public=template.is_public,
        is_author=is_author,
        team_role=role,
        shared_templates=shared,
    ):
        raise NotFound("Template not found", details={"template_id": template_id})
    return Access(
        template=template,
        team_role=role,
        can_change=permissions.can_change_template(is_author=is_author, team_role=role),
    )


async def _require_team_templates(
    session: AsyncSession, *, team_id: str, user_id: str
) -> None:
    await permissions.require_team_action(
        session, team_id=team_id, user_id=user_id, action=Action.MANAGE_TEMPLATES
    )


async def _authors(
    session: AsyncSession, author_ids: set[str]
) -> dict[str, PersonSummary]:
    rows = await session.execute(select(User).where(col(User.id).in_(author_ids)))
    return {
        user.id: PersonSummary(id=user.id, name=user.name, avatar=user.avatar)
        for user in rows.scalars()
    }


async def _views(
    session: AsyncSession, templates: Sequence[Template], *, user_id: str
) -> list[TemplateView]:
    """Views of ``templates`` with their authors and the caller's own ratings,
    in two queries whatever the number of templates."""
    authors = await _authors(session, {t.author_id for t in templates})
    mine = dict(
        (
            await session.execute(
                select(TemplateRating.template_id, TemplateRating.rating).where(
                    col(TemplateRating.user_id) == user_id,
                    col(TemplateRating.template_id).in_([t.id for t in templates]),
                )
            )
        ).all()
    )
    return [
        TemplateView(
            template=t,
            author=authors.get(
                t.author_id, PersonSummary(id=t.author_id, name="", avatar=None)
            ),
            rating=average_rating(t),
            my_rating=mine.get(t.id),
        )
        for t in templates
    ]


async def create_template(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    name: str,
    prompt: str,
    description: str = "",
    category: str = "general",
    format: str = "blog",
    variables: Sequence[Mapping[str, Any]] | None = None,
    is_public: bool = False,
    team_id: str | None = None,
) -> TemplateView:
    """A new template by the caller; saved to a team needs an editor's rights."""
    principal = ctx.require_writer()
    prompt = _text(prompt, field="prompt", limit=PROMPT_MAX, required=True)
    template = Template(
        author_id=principal.user_id,
        team_id=team_id,
        name=_text(name, field="name", limit=NAME_MAX, required=True),
        description=_text(
            description, field="description", limit=DESCRIPTION_MAX, required=False
        ),
        category=_text(category, field="category", limit=CATEGORY_MAX, required=True),
        format=_format(format),
        prompt=prompt,
        variables=[v.as_dict() for v in parse_variables(variables, prompt=prompt)],
        is_public=is_public,
    )
    if team_id is not None:
        await _require_team_templates(
            session, team_id=team_id, user_id=principal.user_id
        )

    session.add(template)
    await session.commit()
    logger.info("template created", extra={"template_id": template.id})
    return (await _views(session, [template], user_id=principal.user_id))[0]


async def visible_team_ids(session: AsyncSession, *, user_id: str) -> list[str]:
    """Teams whose (non-public) templates the caller may see."""
    roles = await permissions.memberships_for_user(session, user_id=user_id)
    if not roles:
        return []
    teams = await session.execute(select(Team).where(col(Team.id).in_(list(roles))))
    return [
        team.id
        for team in teams.scalars()
        if permissions.can_see_template(
            is_public=False,
            is_author=False,
            team_role=roles[team.id],
            shared_templates=team_settings(team).shared_templates,
        )
    ]


def _like(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_templates(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    category: str | None = None,
    is_public: bool | None = None,
    team_id: str | None = None,
    search: str | None = None,
    mine: bool = False,
    page: int | None = None,
    limit: int | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> tuple[list[TemplateView], PageInfo]:
    """Templates the caller may see, filtered, searched and paginated."""
    principal = ctx.require_principal()
    request = PageRequest.of(
        page=page, limit=limit, sort=sort, order=order, sortable=SORTABLE
    )
    if team_id is not None:
        await permissions.require_team_action(
            session,
            team_id=team_id,
            user_id=principal.user_id,
            action=Action.USE_TEMPLATES,
        )
    teams = await visible_team_ids(session, user_id=principal.user_id)
    query = select(Template).where(
        sa.or_(
            col(Template.is_public).is_(True),
            col(Template.author_id) == principal.user_id,
            col(Template.team_id).in_(teams),
        )
    )
    if category:
        query = query.where(col(Template.category) == category.strip())
    if is_public is not None:
        query = query.where(col(Template.is_public).is_(is_public))
    if team_id is not None:
        query = query.where(col(Template.team_id) == team_id)
    if mine:
        query = query.where(col(Template.author_id) == principal.user_id)
    if search and search.strip():
        pattern = _like(
            _text(search, field="search", limit=SEARCH_MAX, required=False).lower()
        )
        query = query.where(
            sa.or_(
                sa.func.lower(col(Template.name)).like(pattern, escape="\\"),
                sa.func.lower(col(Template.description)).like(pattern, escape="\\"),
                sa.func.lower(col(Template.category)).like(pattern, escape="\\"),
            )
        )
    rating = sa.case(
        (
            col(Template.rating_count) > 0,
            sa.cast(col(Template.rating_sum), sa.Float) / col(Template.rating_count),
        ),
        else_=0.0,
    )
    templates, info = await paginate(
        session,
        query,
        page=request,
        columns={
            "created_at": Template.created_at,
            "usage_count": Template.usage_count,
            "rating": rating,
            "name": Template.name,
            "id": Template.id,
        },
    )
    return await _views(session, templates, user_id=principal.user_id), info


async def get_template(
    session: AsyncSession, *, ctx: RequestContext, template_id: str
) -> TemplateView:
    """One template the caller may see."""
    principal = ctx.require_principal()
    access = await template_access(
        session, template_id=template_id, user_id=principal.user_id
    )
    return (await _views(session, [access.template], user_id=principal.user_id))[0]


async def _changeable(
    session: AsyncSession, *, template_id: str, user_id: str
) -> Template:
    access = await template_access(session, template_id=template_id, user_id=user_id)
    if not access.can_change:
        raise Forbidden(
            "Only the template's author or a team admin can change it",
            details={"template_id": template_id},
        )
    return access.template


async def update_template(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    template_id: str,
    changes: Mapping[str, Any],
) -> TemplateView:
    """Change the given fields; the prompt and variables are checked together."""
    principal = ctx.require_writer()
    template = await _changeable(
        session, template_id=template_id, user_id=principal.user_id
    )

    for key in ("name", "description", "category"):
        if changes.get(key) is not None:
            limit = {"name": NAME_MAX, "description": DESCRIPTION_MAX}.get(
                key, CATEGORY_MAX
            )
            setattr(
                template,
                key,
                _text(
                    changes[key], field=key, limit=limit, required=key != "description"
                ),
            )
    if changes.get("format") is not None:
        template.format = _format(changes["format"])
    if changes.get("is_public") is not None:
        template.is_public = bool(changes["is_public"])
    if changes.get("prompt") is not None or changes.get("variables") is not None:
        prompt = template.prompt
        if changes.get("prompt") is not None:
            prompt = _text(
                changes["prompt"], field="prompt", limit=PROMPT_MAX, required=True
            )
        raw = changes.get("variables")
        declared = parse_variables(
            raw if raw is not None else template.variables, prompt=prompt
        )
        template.prompt = prompt
        template.variables = [v.as_dict() for v in declared]
    if "team_id" in changes and changes["team_id"] != template.team_id:
        if changes["team_id"] is not None:
            await _require_team_templates(
                session, team_id=changes["team_id"], user_id=principal.user_id
            )
        template.team_id = changes["team_id"]
    template.updated_at = utcnow()

    session.add(template)
    await session.commit()
    return (await _views(session, [template], user_id=principal.user_id))[0]


async def delete_template(
    session: AsyncSession, *, ctx: RequestContext, template_id: str
) -> bool:
    """Delete a template (its author, or an admin of its team)."""
    principal = ctx.require_writer()
    template = await _changeable(
        session, template_id=template_id, user_id=principal.user_id
    )

    await session.execute(
        sa.delete(TemplateRating).where(col(TemplateRating.template_id) == template.id)
    )
    await session.delete(template)
    await session.commit()
    return True


async def rate_template(
    session: AsyncSession, *, ctx: RequestContext, template_id: str, rating: int
) -> TemplateView:
    """Rate a template 1 to 5; rating again replaces the caller's rating."""
    principal = ctx.require_writer()
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed(
            field="rating", reason="must be a whole number from 1 to 5"
        )
    access = await template_access(
        session, template_id=template_id, user_id=principal.user_id
    )
    if access.template.author_id == principal.user_id:
        raise Forbidden(
            "You cannot rate your own template", details={"template_id": template_id}
        )

    # Rates of one template are serialised on its row, so that the totals
    # recomputed below see every committed rating.
    await session.execute(
        select(Template.id).where(col(Template.id) == template_id).with_for_update()
    )
    await _upsert_rating(
        session, template_id=template_id, user_id=principal.user_id, rating=rating
    )
    ratings = select(TemplateRating).where(
        col(TemplateRating.template_id) == template_id
    )
    await session.execute(
        sa.update(Template)
        .where(col(Template.id) == template_id)
        .values(
            rating_sum=ratings.with_only_columns(
                sa.func.coalesce(sa.func.sum(TemplateRating.rating), 0)
            ).scalar_subquery(),
            rating_count=ratings.with_only_columns(sa.func.count()).scalar_subquery(),
        )
    )
    await session.commit()

    await session.refresh(access.template)
    return (await _views(session, [access.template], user_id=principal.user_id))[0]


async def _upsert_rating(
    session: AsyncSession, *, template_id: str, user_id: str, rating: int
) -> None:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    statement = insert(TemplateRating.__table__).values(  # type: ignore[attr-defined]
        id=new_id("trt"),
        template_id=template_id,
        user_id=user_id,
        rating=rating,
        created_at=now,
        updated_at=now,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["template_id", "user_id"],
            set_={"rating": rating, "updated_at": now},
        )
    )


async def render_template(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    template_id: str,
    variables: Mapping[str, Any] | None,
) -> str:
    """The template's prompt with the given values (nothing is generated)."""
    principal = ctx.require_principal()
    access = await template_access(
        session, template_id=template_id, user_id=principal.user_id
    )
    return render_prompt(access.template, variables)


def render_prompt(template: Template, variables: Mapping[str, Any] | None) -> str:
    """Check ``variables`` against the template's declarations and render."""
    if variables is not None and not isinstance(variables, Mapping):
        raise ValidationFailed(field="variables", reason="must be an object")
    declared = stored_variables(template.variables)
    return render(template.prompt, resolve_values(declared, variables))


async def count_use(session: AsyncSession, *, template_id: str) -> None:
    """Add one to the template's usage count in the database itself, so that
    concurrent uses never lose one."""
    await session.execute(
        sa.update(Template)
        .where(col(Template.id) == template_id)
        .values(usage_count=col(Template.usage_count) + 1)
    )


async def use_template(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    template_id: str,
    variables: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Generation:
    """Render the template with ``variables`` and generate from it; waits for
    the result.

    The use is counted in the same transaction that stores the generation, so
    a refused generation (quota, limits, bad options) counts nothing. A team
    template's uses take the team's ``default_model`` unless the options name
    a model.
    """
    principal = ctx.require_writer()
    if options is not None and not isinstance(options, Mapping):
        raise ValidationFailed(field="options", reason="must be an object")
    access = await template_access(
        session, template_id=template_id, user_id=principal.user_id
    )
    template = access.template
    prompt = render_prompt(template, variables)
    chosen = dict(options or {})
    if chosen.get("model") is None and template.team_id is not None:
        team = await session.get(Team, template.team_id)
        default_model = team_settings(team).default_model if team else None
        if default_model:
            chosen["model"] = default_model

    await count_use(session, template_id=template.id)
    row = await start_generation(
        session,
        ctx=ctx,
        request=GenerationRequest(
            format=template.format,
            input=prompt,
            options=chosen,
            metadata=dict(metadata or {}),
        ),
        template_id=template.id,
    )
    logger.info(
        "template used", extra={"template_id": template.id, "generation_id": row.id}
    )

    finished = await await_generation(ctx, row.id)
    raise_if_failed(finished)
    return finished
