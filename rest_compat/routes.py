"""The /v1 surface, one row per route, grouped by domain in the spec's order.

Rows name a GraphQL document (``rest_compat/documents/``) run on the same
schema as /graphql, or a plain handler for routes that are not
request/response. The OpenAPI document is generated from this list.
"""

from __future__ import annotations

from rest_compat import meta
from rest_compat import generation_stream
from rest_compat.documents import generation
from rest_compat.table import Route

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
]
