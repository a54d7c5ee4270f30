"""TemplateQuery: find templates, read one, preview its rendering."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import templates
from schema.context import Context, call
from schema.pagination import Pagination
from schema.template.types import Template, TemplateList, TemplateRendering

TemplateId = Annotated[strawberry.ID, strawberry.argument(description="Template id.")]


@strawberry.type
class TemplateQuery:
    @strawberry.field(
        description="Templates the caller can see: public ones, their own, and "
        "those shared with their teams."
    )
    async def templates(
        self,
        info: Info[Context, Any],
        category: Annotated[
            str | None, strawberry.argument(description="Only this category.")
        ] = None,
        is_public: Annotated[
            bool | None,
            strawberry.argument(
                description="true: public templates only; false: non-public only."
            ),
        ] = None,
        team_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this team's templates."),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Words to find in the name, description or category."
            ),
        ] = None,
        mine: Annotated[
            bool, strawberry.argument(description="Only templates the caller wrote.")
        ] = False,
        page: Annotated[
            int | None, strawberry.argument(description="Page number, from 1.")
        ] = None,
        limit: Annotated[
            int | None,
            strawberry.argument(description="Templates per page, at most 100."),
        ] = None,
        sort: Annotated[
            str | None,
            strawberry.argument(description="created_at, usage_count, rating or name."),
        ] = None,
        order: Annotated[
            str | None, strawberry.argument(description="asc or desc.")
        ] = None,
    ) -> TemplateList:
        views, page_info = await call(
            info,
            templates.list_templates,
            category=category,
            is_public=is_public,
            team_id=str(team_id) if team_id else None,
            search=search,
            mine=mine,
            page=page,
            limit=limit,
            sort=sort,
            order=order,
        )
        return TemplateList(
            templates=[Template.of(view) for view in views],
            pagination=Pagination.of(page_info),
        )

    @strawberry.field(description="One template the caller can see.")
    async def template(self, info: Info[Context, Any], id: TemplateId) -> Template:
        return Template.of(
            await call(info, templates.get_template, template_id=str(id))
        )

    @strawberry.field(
        description="The template's prompt filled with values, checked as a use "
        "would check them; nothing is generated."
    )
    async def template_render(
        self,
        info: Info[Context, Any],
        id: TemplateId,
        variables: Annotated[
            JSON | None,
            strawberry.argument(description="Values by variable name."),
        ] = None,
    ) -> TemplateRendering:
        prompt = await call(
            info, templates.render_template, template_id=str(id), variables=variables
        )
        return TemplateRendering(prompt=prompt)
