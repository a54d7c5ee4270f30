"""Generation queries."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import generation, generation_history
from schema.context import Context, call
from schema.generation.types import Generation, GenerationFormat, GenerationPage
from schema.pagination import Pagination


@strawberry.type
class GenerationQuery:
    @strawberry.field(description="One generation the caller may see.")
    async def generation(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Generation id.")],
    ) -> Generation:
        row = await call(info, generation.get_generation, generation_id=str(id))
        return Generation.of(row)

    @strawberry.field(
        description="The caller's generations (or a team's), filtered, searched "
        "and paginated; newest first by default."
    )
    async def generations(
        self,
        info: Info[Context, None],
        page: Annotated[
            int | None,
            strawberry.argument(description="Page number, from 1 (default 1)."),
        ] = None,
        limit: Annotated[
            int | None,
            strawberry.argument(
                description="Items per page (default 20, at most 100)."
            ),
        ] = None,
        format: Annotated[
            GenerationFormat | None,
            strawberry.argument(description="Only this format."),
        ] = None,
        model: Annotated[
            str | None, strawberry.argument(description="Only this model.")
        ] = None,
        status: Annotated[
            str | None, strawberry.argument(description="Only this status.")
        ] = None,
        from_date: Annotated[
            str | None,
            strawberry.argument(
                description="Created at or after (ISO 8601 date or time)."
            ),
        ] = None,
        to_date: Annotated[
            str | None,
            strawberry.argument(
                description="Created at or before (ISO 8601; a bare date includes "
                "that whole day).",
            ),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Words that the title or content must contain."
            ),
        ] = None,
        sort: Annotated[
            str | None,
            strawberry.argument(
                description="created_at (default), updated_at, word_count or "
                "tokens_used.",
            ),
        ] = None,
        order: Annotated[
            str | None, strawberry.argument(description="asc or desc (default).")
        ] = None,
        team_id: Annotated[
            str | None,
            strawberry.argument(description="List this team's generations instead."),
        ] = None,
    ) -> GenerationPage:
        rows, page_info = await call(
            info,
            generation_history.list_generations,
            page=page,
            limit=limit,
            format=format.value if format else None,
            model=model,
            status=status,
            from_date=from_date,
            to_date=to_date,
            search=search,
            sort=sort,
            order=order,
            team_id=team_id,
        )
        return GenerationPage(
            generations=[Generation.of(row) for row in rows],
            pagination=Pagination.of(page_info),
        )
