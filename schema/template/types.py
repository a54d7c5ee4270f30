"""Template types: templates, their variables, authors and ratings."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from resolvers import templates
from resolvers.teams import PersonSummary
from schema.pagination import Pagination


@strawberry.enum(description="What kind of value a template variable takes.")
class TemplateVariableType(Enum):
    text = "text"
    select = "select"
    number = "number"
    boolean = "boolean"


@strawberry.type(description="The author of a template.")
class TemplateAuthor:
    id: strawberry.ID = strawberry.field(description="The author's user id.")
    name: str = strawberry.field(description="The author's display name.")
    avatar: str | None = strawberry.field(description="URL of the author's avatar.")

    @classmethod
    def of(cls, person: PersonSummary) -> TemplateAuthor:
        return cls(id=strawberry.ID(person.id), name=person.name, avatar=person.avatar)


@strawberry.type(description="A variable a template's prompt uses as {{name}}.")
class TemplateVariable:
    name: str = strawberry.field(description="The name used in the prompt.")
    type: TemplateVariableType = strawberry.field(
        description="text, select, number or boolean."
    )
    description: str = strawberry.field(description="What to fill in.")
    required: bool = strawberry.field(
        description="True: a use must give a value (or the default applies)."
    )
    options: list[str] | None = strawberry.field(
        description="The values a select variable accepts; null for other types."
    )
    default: JSON | None = strawberry.field(
        description="The value used when a use gives none."
    )

    @classmethod
    def of(cls, raw: dict[str, Any]) -> TemplateVariable:
        return cls(
            name=raw["name"],
            type=TemplateVariableType(raw.get("type", "text")),
            description=raw.get("description", ""),
            required=bool(raw.get("required", False)),
            options=raw.get("options"),
            default=raw.get("default"),
        )


@strawberry.type(description="A reusable prompt with typed variables.")
class Template:
    id: strawberry.ID = strawberry.field(description="Template id (tpl_...).")
    name: str = strawberry.field(description="The template's name.")
    description: str = strawberry.field(description="What it is for.")
    category: str = strawberry.field(description="Category, e.g. marketing.")
    format: str = strawberry.field(
        description="The content format a use generates (blog, email, ...)."
    )
    prompt: str = strawberry.field(
        description="The prompt, with {{name}} placeholders for its variables."
    )
    variables: list[TemplateVariable] = strawberry.field(
        description="The variables the prompt uses."
    )
    is_public: bool = strawberry.field(description="True: every user can see it.")
    team_id: strawberry.ID | None = strawberry.field(
        description="The team it is shared with, if any."
    )
    usage_count: int = strawberry.field(description="How many times it was used.")
    rating: float | None = strawberry.field(
        description="Average rating from 1 to 5; null until someone rates it."
    )
    rating_count: int = strawberry.field(description="How many users rated it.")
    my_rating: int | None = strawberry.field(
        description="The caller's own rating, if they rated it."
    )
    author: TemplateAuthor = strawberry.field(description="Who wrote it.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def of(cls, view: templates.TemplateView) -> Template:
        row = view.template
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            category=row.category,
            format=row.format,
            prompt=row.prompt,
            variables=[TemplateVariable.of(v) for v in row.variables],
            is_public=row.is_public,
            team_id=strawberry.ID(row.team_id) if row.team_id else None,
            usage_count=row.usage_count,
            rating=view.rating,
            rating_count=row.rating_count,
            my_rating=view.my_rating,
            author=TemplateAuthor.of(view.author),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A page of templates.")
class TemplateList:
    templates: list[Template] = strawberry.field(description="The templates.")
    pagination: Pagination = strawberry.field(description="Where this page sits.")


@strawberry.type(description="A template's prompt filled with values.")
class TemplateRendering:
    prompt: str = strawberry.field(description="The rendered prompt.")


@strawberry.type(description="The template that was created or changed.")
class TemplatePayload:
    template: Template = strawberry.field(description="The template.")


@strawberry.type(description="The answer to deleting a template.")
class TemplateDeletePayload:
    success: bool = strawberry.field(description="True when it was deleted.")
    message: str = strawberry.field(description="What was done.")
