"""Plain routes that describe the API itself: the OpenAPI document and a
reference page (Swagger UI, served from the package's own assets, so it needs
no internet)."""

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
    """Swagger UI over ``/v1/openapi.json``, from the server's own copy of its
    scripts; the plain list of routes stays for readers without JavaScript."""
    document = _document(request)
    rows = []
    for path, operations in document["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            rows.append(
                "<tr><td><code>{}</code></td><td><code>/v1{}</code></td>"
                "<td>{}</td></tr>".format(
                    method.upper(),
                    html.escape(path),
                    html.escape(operation["summary"]),
                )
            )
    return HTMLResponse(
        _REFERENCE_PAGE.replace("{{ROWS}}", "".join(rows)),
        headers={"Cache-Control": "no-cache"},
    )


_REFERENCE_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Harvest API v1 reference</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<style>body{margin:0;font-family:system-ui,sans-serif}
.harvest-links{padding:.5rem 1rem;border-bottom:1px solid #ddd;font-size:.9rem}
.harvest-links a{margin-right:1rem}</style>
</head>
<body>
<div class="harvest-links"><strong>Harvest API v1</strong> &middot;
<a href="/v1/openapi.json">openapi.json</a><a href="/graphql">GraphQL</a>
<a href="/">playground</a></div>
<div id="reference"></div>
<noscript><table><thead><tr><th>Method</th><th>Path</th><th>Summary</th></tr>
</thead><tbody>{{ROWS}}</tbody></table></noscript>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/reference/reference.js"></script>
</body>
</html>
"""
