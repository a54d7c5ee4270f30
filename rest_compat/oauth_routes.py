"""The OAuth redirects: plain routes of the REST table.

The start sets the state cookie that binds the sign-in to this browser; the
callback checks it, clears it and sends the browser to the app with tokens in
the URL fragment (never in the query, so they reach no server log).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from resolvers.context import RequestContext
from resolvers.oauth import STATE_COOKIE, begin_oauth, complete_oauth

COOKIE_PATH = "/v1/auth/oauth"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def _context(request: Request) -> RequestContext:
    parts = request.app.state.parts
    rc: RequestContext = await parts.contexts.build(
        token=None,
        client_ip=request.client.host if request.client else None,
        surface="rest",
    )
    return rc


async def oauth_start(request: Request) -> Response:
    """302 to the provider's consent page, with the state cookie set."""
    rc = await _context(request)
    start = begin_oauth(ctx=rc, provider=request.path_params["provider"])
    response = RedirectResponse(start.redirect_url, status_code=302, headers=NO_STORE)
    response.set_cookie(
        STATE_COOKIE,
        start.cookie_value,
        max_age=start.max_age,
        path=COOKIE_PATH,
        httponly=True,
        secure=rc.config.public_url.startswith("https://"),
        samesite="lax",
    )
    return response


async def oauth_callback(request: Request) -> Response:
    """302 to the app with the new session's tokens in the URL fragment."""
    rc = await _context(request)
    params = request.query_params
    async with rc.db.session() as session:
        target = await complete_oauth(
            session,
            ctx=rc,
            provider=request.path_params["provider"],
            code=params.get("code"),
            state=params.get("state"),
            cookie=request.cookies.get(STATE_COOKIE),
            error=params.get("error"),
        )
    response = RedirectResponse(target, status_code=302, headers=NO_STORE)
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response
