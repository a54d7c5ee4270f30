"""Alembic migrations, run programmatically (``harvest migrate``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at this folder and at ``url``."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (blocking; runs its own event loop)."""
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def revisions_up_to(url: str, revision: str = "head") -> list[str]:
    """Every revision from the first one up to ``revision``, oldest first.

    Upgrading to each in turn is what ``upgrade`` does in one go; a step that is
    already applied does nothing, so a caller can report progress per step.
    """
    scripts = ScriptDirectory.from_config(alembic_config(url))
    steps = scripts.iterate_revisions(revision, "base")
    return [step.revision for step in reversed(list(steps))]


async def upgrade_async(url: str, revision: str = "head") -> None:
    """``upgrade`` from inside a running event loop."""
    await asyncio.to_thread(upgrade, url, revision)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
