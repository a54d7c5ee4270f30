"""Approving the generations of teams that require approval."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from models.generation import Generation
from resolvers import approvals
from schema.context import Context, call

GenerationId = Annotated[
    strawberry.ID, strawberry.argument(description="Generation id.")
]


@strawberry.type(description="A team generation's approval state.")
class GenerationApproval:
    id: strawberry.ID = strawberry.field(description="Generation id.")
    team_id: strawberry.ID | None = strawberry.field(description="Its team.")
    author_id: strawberry.ID = strawberry.field(description="Who created it.")
    approval_status: str | None = strawberry.field(
        description="pending, approved or rejected; null when not subject to approval."
    )

    @classmethod
    def of(cls, row: Generation) -> GenerationApproval:
        return cls(
            id=strawberry.ID(row.id),
            team_id=strawberry.ID(row.team_id) if row.team_id else None,
            author_id=strawberry.ID(row.user_id),
            approval_status=row.approval_status,
        )


@strawberry.type(description="The generation that was approved or rejected.")
class GenerationApprovalPayload:
    generation: GenerationApproval = strawberry.field(description="Its new state.")


@strawberry.type
class ApprovalMutation:
    @strawberry.mutation(
        description="Approve a pending generation of a team that requires "
        "approval (admins, owner); every member then sees it."
    )
    async def generation_approve(
        self, info: Info[Context, Any], id: GenerationId
    ) -> GenerationApprovalPayload:
        row = await call(
            info, approvals.decide_generation, generation_id=str(id), approve=True
        )
        return GenerationApprovalPayload(generation=GenerationApproval.of(row))

    @strawberry.mutation(
        description="Reject a pending generation (admins, owner); it stays "
        "visible to its author only."
    )
    async def generation_reject(
        self, info: Info[Context, Any], id: GenerationId
    ) -> GenerationApprovalPayload:
        row = await call(
            info, approvals.decide_generation, generation_id=str(id), approve=False
        )
        return GenerationApprovalPayload(generation=GenerationApproval.of(row))
