"""Stripe's inbound webhooks: a plain route, since Stripe signs the raw body."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from resolvers.billing_events import receive_provider_event
from schema.context import ContextFactory

MAX_WEBHOOK_BYTES = 512 * 1024


async def stripe_webhook(request: Request) -> Response:
    """Verify the ``Stripe-Signature`` header and apply the event once."""
    contexts: ContextFactory = request.app.state.parts.contexts
    rc = await contexts.build(
        token=None,
        client_ip=request.client.host if request.client else None,
        surface="rest",
    )
    payload = (await request.body())[:MAX_WEBHOOK_BYTES]
    async with rc.db.session() as session:
        result = await receive_provider_event(
            session,
            ctx=rc,
            payload=payload,
            signature=request.headers.get("stripe-signature"),
        )
    return Response(orjson.dumps(result), media_type="application/json")
