"""SQLModel tables, the database engine and sessions, and migrations.

Importing this package registers every table on ``SQLModel.metadata``.
"""

from models import (  # noqa: F401
    billing,
    generation,
    idempotency,
    job,
    notification,
    team,
    template,
    user,
    webhook,
)
from models.base import metadata

__all__ = ["metadata"]
