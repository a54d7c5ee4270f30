"""TeamQuery: the caller's teams, and one team in full."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import teams
from schema.context import Context, call
from schema.pagination import Pagination
from schema.team.types import Team, TeamList, TeamSummary


@strawberry.type
class TeamQuery:
    @strawberry.field(
        description="The teams the caller belongs to, each with the caller's role."
    )
    async def teams(
        self,
        info: Info[Context, Any],
        page: Annotated[
            int | None, strawberry.argument(description="Page number, from 1.")
        ] = None,
        limit: Annotated[
            int | None, strawberry.argument(description="Teams per page, at most 100.")
        ] = None,
        sort: Annotated[
            str | None, strawberry.argument(description="created_at or name.")
        ] = None,
        order: Annotated[
            str | None, strawberry.argument(description="asc or desc.")
        ] = None,
    ) -> TeamList:
        items, page_info = await call(
            info, teams.list_teams, page=page, limit=limit, sort=sort, order=order
        )
        return TeamList(
            teams=[TeamSummary.of(item) for item in items],
            pagination=Pagination.of(page_info),
        )

    @strawberry.field(
        description="A team the caller belongs to: members, usage and settings."
    )
    async def team(
        self,
        info: Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="Team id.")],
    ) -> Team:
        return Team.of(await call(info, teams.get_team, team_id=str(id)))
