"""Rewrite the initial migration from the current models.

Until the first release, the schema is one migration, ``0001_initial``. After a
change to ``models/``, run ``python -m models.migrations.regenerate``; the test
suite fails while the migration and the models disagree.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from models.migrations import HERE, alembic_config

INITIAL = HERE / "versions" / "0001_initial.py"


def main() -> None:
    INITIAL.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Later, hand-written revisions (e.g. 0002's search index) stand aside
        # while 0001 is rebuilt, so that it has no parent, then come back.
        later = [p for p in (HERE / "versions").glob("0*.py") if p != INITIAL]
        for path in later:
            path.rename(Path(tmp) / path.name)
        try:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'empty.db'}"
            command.revision(
                alembic_config(url),
                message="initial schema",
                autogenerate=True,
                rev_id="0001_initial",
            )
        finally:
            for path in later:
                (Path(tmp) / path.name).rename(path)
    for path in (HERE / "versions").glob("0001_initial_*.py"):
        path.rename(INITIAL)
    print(f"wrote {INITIAL}")


if __name__ == "__main__":
    main()
