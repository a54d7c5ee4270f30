"""The /v1 surface, one row per route, grouped by domain in the spec's order.

Rows name a GraphQL document (``rest_compat/documents/``) run on the same
schema as /graphql, or a plain handler for routes that are not
request/response. The OpenAPI document is generated from this list.
"""

from __future__ import annotations

from rest_compat import meta
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
]
