"""The spec's ``pagination`` block, shared by list results."""

from __future__ import annotations

import strawberry

from resolvers.pagination import PageInfo


@strawberry.type(description="Where a page sits among all pages of a list.")
class Pagination:
    page: int = strawberry.field(description="This page's number, from 1.")
    limit: int = strawberry.field(description="Items per page, at most 100.")
    total_items: int = strawberry.field(description="Items in all pages.")
    total_pages: int = strawberry.field(description="Number of pages.")
    has_next: bool = strawberry.field(description="True when a later page exists.")
    has_previous: bool = strawberry.field(
        description="True when an earlier page exists."
    )

    @classmethod
    def of(cls, info: PageInfo) -> Pagination:
        return cls(
            page=info.page,
            limit=info.limit,
            total_items=info.total_items,
            total_pages=info.total_pages,
            has_next=info.has_next,
            has_previous=info.has_previous,
        )
