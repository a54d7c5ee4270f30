"""The REST table serves every route of the spec's inventory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rest_compat.inventory import SPEC_ROUTES
from rest_compat.routes import ROUTES

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "harvest-api.md"


def missing_routes() -> list[tuple[str, str]]:
    served = {route.key for route in ROUTES}
    return [route for route in SPEC_ROUTES if route not in served]


def test_every_spec_route_is_in_the_table() -> None:
    missing = missing_routes()

    assert not missing, "routes still missing: " + ", ".join(
        f"{m} /v1{p}" for m, p in missing
    )


def test_table_has_no_duplicate_routes() -> None:
    keys = [route.key for route in ROUTES]

    assert len(keys) == len(set(keys))


@pytest.mark.skipif(not SPEC.exists(), reason="the shared spec is not beside the repo")
def test_inventory_matches_the_spec_headings() -> None:
    text = SPEC.read_text(encoding="utf-8")
    headings = set(
        re.findall(r"^#{3,4} (GET|POST|PUT|PATCH|DELETE) (/\S+)", text, re.M)
    )

    assert headings == set(SPEC_ROUTES)
