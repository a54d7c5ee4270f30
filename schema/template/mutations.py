"""TemplateMutation: create, change, delete and rate templates."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import templates
from schema.context import Context, call
from schema.generation.types import Generation
from schema.template.types import (
    Template,
    TemplateDeletePayload,
    TemplatePayload,
    TemplateVariableType,
)

TemplateId = Annotated[strawberry.ID, strawberry.argument(description="Template id.")]


@strawberry.input(description="A variable the prompt uses as {{name}}.")
class TemplateVariableInput:
    name: str = strawberry.field(
        description="Letters, digits and '_', starting with a letter or '_'."
    )
    type: TemplateVariableType = strawberry.field(
        default=TemplateVariableType.text, description="What kind of value it takes."
    )
    description: str = strawberry.field(default="", description="What to fill in.")
    required: bool = strawberry.field(
        default=False, description="True: a use must give a value or a default."
    )
    options: list[str] | None = strawberry.field(
        default=None, description="The values a select variable accepts."
    )
    default: JSON | None = strawberry.field(
        default=None, description="The value used when a use gives none."
    )

    def as_dict(self) -> dict[str, Any]:
        raw: dict[str, Any] = {
            "name": self.name,
            "type": self.type.value,
            "description": self.description,
            "required": self.required,
        }
        if self.options is not None:
            raw["options"] = self.options
        if self.default is not None:
            raw["default"] = self.default
        return raw


@strawberry.input(description="A new template.")
class TemplateCreateInput:
    name: str = strawberry.field(description="Its name (1 to 200 characters).")
    prompt: str = strawberry.field(
        description="The prompt; {{name}} marks where a variable's value goes."
    )
    description: str = strawberry.field(default="", description="What it is for.")
    category: str = strawberry.field(
        default="general", description="Category, e.g. marketing."
    )
    format: str = strawberry.field(
        default="blog", description="The content format a use generates."
    )
    variables: list[TemplateVariableInput] = strawberry.field(
        default_factory=list, description="The variables the prompt uses."
    )
    is_public: bool = strawberry.field(
        default=False, description="True: every user can see and use it."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Share it with this team (needs editor rights in the team).",
    )


@strawberry.input(
    description="Changes to a template; fields left out keep their value."
)
class TemplateUpdateInput:
    name: str | None = strawberry.field(default=None, description="New name.")
    prompt: str | None = strawberry.field(default=None, description="New prompt.")
    description: str | None = strawberry.field(
        default=None, description="New description."
    )
    category: str | None = strawberry.field(default=None, description="New category.")
    format: str | None = strawberry.field(default=None, description="New format.")
    variables: list[TemplateVariableInput] | None = strawberry.field(
        default=None, description="The new list of variables (replaces the old)."
    )
    is_public: bool | None = strawberry.field(
        default=None, description="Whether every user can see it."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Share it with this team instead; null: no team.",
    )

    def changes(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            key: getattr(self, key)
            for key in ("name", "prompt", "description", "category", "format")
            if getattr(self, key) is not None
        }
        if self.is_public is not None:
            found["is_public"] = self.is_public
        if self.variables is not None:
            found["variables"] = [v.as_dict() for v in self.variables]
        if self.team_id is not strawberry.UNSET:
            found["team_id"] = str(self.team_id) if self.team_id else None
        return found


@strawberry.input(description="Values for a template's variables, and how to generate.")
class TemplateUseInput:
    variables: JSON | None = strawberry.field(
        default=None, description="Values by variable name."
    )
    options: JSON | None = strawberry.field(
        default=None,
        description="Generation options (model, tone, length, ...), as for "
        "generate; a team template's default_model applies when no model is "
        "named.",
    )
    metadata: JSON | None = strawberry.field(
        default=None,
        description="Labels stored on the generation; team_id makes it a "
        "generation of that team.",
    )


@strawberry.type(description="The generation a template use produced.")
class TemplateUsePayload:
    generation: Generation = strawberry.field(description="The finished generation.")


@strawberry.type
class TemplateMutation:
    @strawberry.mutation(description="Create a template written by the caller.")
    async def template_create(
        self,
        info: Info[Context, Any],
        input: Annotated[
            TemplateCreateInput, strawberry.argument(description="The template.")
        ],
    ) -> TemplatePayload:
        view = await call(
            info,
            templates.create_template,
            name=input.name,
            prompt=input.prompt,
            description=input.description,
            category=input.category,
            format=input.format,
            variables=[v.as_dict() for v in input.variables],
            is_public=input.is_public,
            team_id=str(input.team_id) if input.team_id else None,
        )
        return TemplatePayload(template=Template.of(view))

    @strawberry.mutation(
        description="Change a template (its author, or an admin of its team)."
    )
    async def template_update(
        self,
        info: Info[Context, Any],
        id: TemplateId,
        input: Annotated[
            TemplateUpdateInput, strawberry.argument(description="What to change.")
        ],
    ) -> TemplatePayload:
        view = await call(
            info,
            templates.update_template,
            template_id=str(id),
            changes=input.changes(),
        )
        return TemplatePayload(template=Template.of(view))

    @strawberry.mutation(
        description="Delete a template (its author, or an admin of its team)."
    )
    async def template_delete(
        self, info: Info[Context, Any], id: TemplateId
    ) -> TemplateDeletePayload:
        await call(info, templates.delete_template, template_id=str(id))
        return TemplateDeletePayload(
            success=True, message="Template deleted successfully"
        )

    @strawberry.mutation(
        description="Rate a template from 1 to 5; rating again replaces your "
        "rating. Authors cannot rate their own templates."
    )
    async def template_rate(
        self,
        info: Info[Context, Any],
        id: TemplateId,
        rating: Annotated[
            int, strawberry.argument(description="A whole number from 1 to 5.")
        ],
    ) -> TemplatePayload:
        view = await call(
            info, templates.rate_template, template_id=str(id), rating=rating
        )
        return TemplatePayload(template=Template.of(view))

    @strawberry.mutation(
        description="Generate from a template: its prompt is rendered with the "
        "variables (a missing required or unknown variable is a VALIDATION_ERROR "
        "naming it) and its usage count goes up by one."
    )
    async def template_use(
        self,
        info: Info[Context, Any],
        id: TemplateId,
        input: Annotated[
            TemplateUseInput | None,
            strawberry.argument(description="Variables and options."),
        ] = None,
    ) -> TemplateUsePayload:
        row = await call(
            info,
            templates.use_template,
            template_id=str(id),
            variables=input.variables if input else None,
            options=input.options if input else None,
            metadata=input.metadata if input else None,
        )
        return TemplateUsePayload(generation=Generation.of(row))
