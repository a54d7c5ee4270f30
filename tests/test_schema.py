"""schema.graphql is the printed schema; it must not drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_matches_the_schema() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")

    assert committed == schema.as_str() + "\n", (
        "schema.graphql is stale: run `harvest export-schema > schema.graphql`"
    )


def test_export_schema_reproduces_the_file_byte_for_byte() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "harvest.cli", "export-schema"],
        check=True,
        capture_output=True,
        cwd=ROOT,
    ).stdout

    assert printed == (ROOT / "schema.graphql").read_bytes()
