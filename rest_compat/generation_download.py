"""GET /v1/exports/{filename}: the file behind a signed export link.

The link is the credential (no token needed); an expired or forged link is
refused with 403 FORBIDDEN.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from resolvers.generation_export import open_export


async def export_download(request: Request) -> Response:
    """Serve an exported generation."""
    parts = request.app.state.parts
    async with parts.db.session() as session:
        file = await open_export(
            session,
            config=parts.config,
            filename=request.path_params["filename"],
            flags=request.query_params.get("options", ""),
            expires=request.query_params.get("expires", ""),
            signature=request.query_params.get("signature", ""),
        )
    return Response(
        file.body,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "private, max-age=3600",
        },
    )
