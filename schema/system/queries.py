"""Facts about the server itself."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.base import utcnow

API_VERSION = "1.0.0"


@strawberry.type(description="The running Harvest server.")
class ServerInfo:
    api_version: str = strawberry.field(description="The API version served (v1).")
    server_time: datetime = strawberry.field(description="The server's clock, UTC.")


@strawberry.type
class SystemQuery:
    @strawberry.field(description="The server's API version and clock.")
    def server_info(self) -> ServerInfo:
        return ServerInfo(api_version=API_VERSION, server_time=utcnow())
