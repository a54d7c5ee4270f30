"""The TypeScript SDK's own tests (``npm test`` in clients/typescript), run
against live servers that this test starts."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import support
from tests.sdk.conftest import ROOT
from tests.sdk.helpers import api_url

TYPESCRIPT_SDK = ROOT / "clients" / "typescript"
NPM = shutil.which("npm")
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NPM is None or NODE is None,
    reason="node and npm are not installed: the TypeScript SDK cannot be built",
)


def _run(*command: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    result = subprocess.run(
        command,
        cwd=TYPESCRIPT_SDK,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output[-8000:]}"
    return output


@pytest.fixture(scope="session")
def typescript_build() -> Path:
    """``npm ci`` (when the lock file changed since the last one) and
    ``npm run build``; returns the package's folder."""
    assert NPM is not None
    lock = (TYPESCRIPT_SDK / "package-lock.json").read_bytes()
    marker = TYPESCRIPT_SDK / "node_modules" / ".harvest-lock-sha256"
    digest = hashlib.sha256(lock).hexdigest()
    if not marker.exists() or marker.read_text() != digest:
        _run(NPM, "ci", "--no-audit", "--no-fund")
        marker.write_text(digest)
    _run(NPM, "run", "build")
    return TYPESCRIPT_SDK


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

    output = _run(NPM, "test", env=env)

    assert "# fail 0" in output
    assert "# pass " in output and "# pass 0" not in output
