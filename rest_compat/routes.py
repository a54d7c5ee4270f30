"""The /v1 surface, one row per route, grouped by domain in the spec's order.

Rows name a GraphQL document (``rest_compat/documents/``) run on the same
schema as /graphql, or a plain handler for routes that are not
request/response. The OpenAPI document is generated from this list.
"""

from __future__ import annotations

from rest_compat import meta
from rest_compat import generation_stream
from rest_compat.documents import generation
from rest_compat.documents import batch, webhook
from rest_compat.table import BODY, Route

ROUTES: list[Route] = [
    Route(
        "GET",
        "/openapi.json",
        "This API's OpenAPI document",
        "meta",
        handler=meta.openapi_json,
        public=True,
    ),
    Route(
        "GET",
        "/docs",
        "API reference page",
        "meta",
        handler=meta.docs_page,
        public=True,
        response_media_type="text/html",
    ),
    Route(
        "POST",
        "/generate",
        "Generate content and wait for it",
        "generation",
        document=generation.GENERATE,
        body="input",
    ),
    Route(
        "POST",
        "/generate/stream",
        "Generate content as Server-Sent Events: start, progress, complete, error",
        "generation",
        handler=generation_stream.generate_stream,
        response_media_type="text/event-stream",
    ),
    Route(
        "GET",
        "/generate/history",
        "The caller's generations: filters, search, sort and pagination",
        "generation",
        document=generation.HISTORY,
        query=(
            "page",
            "limit",
            "format",
            "model",
            "status",
            "from_date",
            "to_date",
            "search",
            "sort",
            "order",
            "team_id",
        ),
        unwrap=True,
    ),
    Route(
        "GET",
        "/generate/{id}",
        "One generation with its input, options, metadata and versions",
        "generation",
        document=generation.GENERATION,
    ),
    Route(
        "DELETE",
        "/generate/{id}",
        "Delete a generation and its versions",
        "generation",
        document=generation.DELETE,
    ),
    Route(
        "POST",
        "/generate/batch",
        "Start a batch of generations, one background job per item",
        "generation",
        document=batch.CREATE_BATCH,
        body="input",
        status=202,
    ),
    Route(
        "GET",
        "/generate/batch/{id}",
        "A batch and its items (implied by the spec's batch_id)",
        "generation",
        document=batch.GET_BATCH,
        unwrap=True,
    ),
    Route(
        "GET",
        "/webhooks",
        "Your webhook endpoints",
        "webhooks",
        document=webhook.LIST_ENDPOINTS,
        query=("page", "limit"),
        unwrap=True,
    ),
    Route(
        "POST",
        "/webhooks",
        "Register a webhook endpoint; the signing secret is shown once",
        "webhooks",
        document=webhook.CREATE_ENDPOINT,
        body="input",
        status=201,
    ),
    Route(
        "GET",
        "/webhooks/{id}",
        "One webhook endpoint",
        "webhooks",
        document=webhook.GET_ENDPOINT,
        unwrap=True,
    ),
    Route(
        "PATCH",
        "/webhooks/{id}",
        "Change a webhook endpoint (URL, events, description, enabled)",
        "webhooks",
        document=webhook.UPDATE_ENDPOINT,
        body="input",
    ),
    Route(
        "DELETE",
        "/webhooks/{id}",
        "Delete a webhook endpoint",
        "webhooks",
        document=webhook.DELETE_ENDPOINT,
    ),
    Route(
        "POST",
        "/webhooks/{id}/test",
        "Send a webhook.test event to the endpoint",
        "webhooks",
        document=webhook.TEST_ENDPOINT,
        status=202,
    ),
    Route(
        "POST",
        "/webhooks/{id}/rotate-secret",
        "Replace the signing secret; the old one still signs during the overlap",
        "webhooks",
        document=webhook.ROTATE_SECRET,
        body=BODY,
    ),
    Route(
        "GET",
        "/webhooks/{id}/deliveries",
        "The endpoint's deliveries, newest first",
        "webhooks",
        document=webhook.LIST_DELIVERIES,
        query=("status", "page", "limit"),
        unwrap=True,
    ),
    Route(
        "POST",
        "/webhooks/{id}/deliveries/{deliveryId}/redeliver",
        "Send a past delivery's event again",
        "webhooks",
        document=webhook.REDELIVER,
        status=202,
    ),
]
