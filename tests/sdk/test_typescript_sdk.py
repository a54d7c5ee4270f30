"""The TypeScript SDK's own tests (``npm test`` in clients/typescript), run
against live servers that this test starts."""

from __future__ import annotations

import os
from pathlib import Path

from tests import support
from tests.sdk.helpers import NPM, api_url, needs_node, run_in_typescript_sdk

pytestmark = needs_node


def test_the_typescript_sdk_passes_its_tests_against_live_servers(
    typescript_build: Path,
    shared_server: support.LiveServer,
    shared_peer_server: support.LiveServer,
    slow_server: support.LiveServer,
    live_server: support.LiveServer,
) -> None:
    assert NPM is not None
    env = {
        **os.environ,
        "HARVEST_BASE_URL": api_url(shared_server),
        "HARVEST_PEER_BASE_URL": api_url(shared_peer_server),
        "HARVEST_SLOW_BASE_URL": api_url(slow_server),
        "HARVEST_THROTTLE_BASE_URL": api_url(live_server),
        "HARVEST_OUTBOX_DIR": str(shared_server.settings.outbox_dir),
    }

    output = run_in_typescript_sdk(NPM, "test", env=env)

    assert "# fail 0" in output
    assert "# pass " in output and "# pass 0" not in output
