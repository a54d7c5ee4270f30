"""The GraphQL schema: Query, Mutation and Subscription roots built from the
domain classes, listed alphabetically."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache
from strawberry.schema.config import StrawberryConfig

from schema.auth.mutations import AuthMutation
from schema.auth.queries import AuthQuery
from schema.batch.mutations import BatchMutation
from schema.batch.queries import BatchQuery
from schema.billing.mutations import BillingMutation
from schema.billing.queries import BillingQuery
from schema.errors import DomainErrors, render_error
from schema.generation.mutations import GenerationMutation
from schema.generation.queries import GenerationQuery
from schema.limits import MAX_BATCH_OPERATIONS, resource_limits
from schema.notification.mutations import NotificationMutation
from schema.notification.queries import NotificationQuery
from schema.realtime.subscriptions import RealtimeSubscription
from schema.scalars import SCALAR_OVERRIDES
from schema.system.queries import SystemQuery
from schema.team.approvals import ApprovalMutation
from schema.team.mutations import TeamMutation
from schema.team.queries import TeamQuery
from schema.template.mutations import TemplateMutation
from schema.template.queries import TemplateQuery
from schema.user.mutations import UserMutation
from schema.user.queries import UserQuery
from schema.validation_cache import DocumentValidationCache
from schema.webhook.mutations import WebhookMutation
from schema.webhook.queries import WebhookQuery


@strawberry.type
class Query(
    AuthQuery,
    BatchQuery,
    BillingQuery,
    GenerationQuery,
    NotificationQuery,
    SystemQuery,
    TeamQuery,
    TemplateQuery,
    UserQuery,
    WebhookQuery,
):
    pass


@strawberry.type
class Mutation(
    ApprovalMutation,
    AuthMutation,
    BatchMutation,
    BillingMutation,
    GenerationMutation,
    NotificationMutation,
    TeamMutation,
    TemplateMutation,
    UserMutation,
    WebhookMutation,
):
    pass


@strawberry.type
class Subscription(RealtimeSubscription):
    pass


class HarvestSchema(strawberry.Schema):
    """Errors are logged once, by ``DomainErrors``, and only when unexpected."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: Any = None
    ) -> None:
        # Subscription events bypass ``DomainErrors``: render them here, in place.
        errors[:] = [render_error(error) for error in errors]


def build_schema(
    *, production: bool = False, extensions: tuple[Any, ...] = ()
) -> strawberry.Schema:
    """The schema, with the extensions every operation runs through, then
    ``extensions`` (the wiring's observers: metrics, tracing)."""
    return HarvestSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=[
            DomainErrors,
            lambda: ParserCache(maxsize=512),
            DocumentValidationCache,
            *resource_limits(production=production),
            *extensions,
        ],
        config=StrawberryConfig(
            disable_field_suggestions=production,
            batching_config={"max_operations": MAX_BATCH_OPERATIONS},
        ),
    )


schema = build_schema()
