"""uvicorn's server, with Harvest's own first step on shutdown.

On SIGTERM uvicorn closes WebSocket connections with 1012 itself; the spec
asks for 1001, so the application says goodbye first.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import uvicorn
from starlette.applications import Starlette

logger = logging.getLogger(__name__)


def _harvest_app(app: Any) -> Starlette | None:
    """The Starlette app under uvicorn's middleware wrappers."""
    for _ in range(10):
        if isinstance(app, Starlette) and hasattr(app.state, "parts"):
            return app
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


class HarvestServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        from harvest.app import going_away

        app = _harvest_app(getattr(self.config, "loaded_app", None))
        if app is not None:
            try:
                await going_away(
                    app, grace_seconds=float(self.config.timeout_graceful_shutdown or 0)
                )
            except Exception:
                logger.exception("graceful shutdown step failed")
        await super().shutdown(sockets)
