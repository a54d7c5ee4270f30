"""Plain routes that describe the API itself: the OpenAPI document and a
reference page that needs no internet."""

from __future__ import annotations

import html

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response


def _document(request: Request) -> dict[str, object]:
    cached = getattr(request.app.state, "openapi", None)
    if cached is None:
        from rest_compat.openapi import build_openapi
        from rest_compat.routes import ROUTES

        cached = build_openapi(
            ROUTES, request.app.state.schema, server_url=request.app.state.public_url
        )
        request.app.state.openapi = cached
    return cached


async def openapi_json(request: Request) -> Response:
    return Response(orjson.dumps(_document(request)), media_type="application/json")


async def docs_page(request: Request) -> Response:
    document = _document(request)
    rows = []
    for path, operations in document["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            rows.append(
                "<tr><td><code>{}</code></td><td><code>/v1{}</code></td>"
                "<td>{}</td><td>{}</td></tr>".format(
                    method.upper(),
                    html.escape(path),
                    html.escape(operation["summary"]),
                    html.escape(", ".join(operation.get("tags", []))),
                )
            )
    page = (
        "<!doctype html><html><head><meta charset=utf-8><title>Harvest API v1</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}"
        "td{padding:.25rem .75rem;border-bottom:1px solid #ddd}</style></head><body>"
        "<h1>Harvest API v1</h1><p>Machine-readable: <a href='/v1/openapi.json'>"
        "/v1/openapi.json</a>. GraphQL: <a href='/graphql'>/graphql</a>.</p>"
        "<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Tag</th>"
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></body></html>"
    )
    return HTMLResponse(page)
