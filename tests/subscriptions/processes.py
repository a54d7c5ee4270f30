"""``harvest serve`` as a real subprocess, for shutdown and multi-process tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from harvest.settings import Settings
from tests.support import free_port


class ServeProcess:
    """``harvest serve --port P`` with the test's database, Redis and secret."""

    def __init__(self, settings: Settings, var_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "HARVEST_DATABASE_URL": settings.database_url,
            "HARVEST_SECRET_KEY": settings.secret_key,
            "HARVEST_VAR_DIR": str(var_dir),
            "HARVEST_ENV": "test",
            **env,
        }
        if settings.redis_url:
            self.env["HARVEST_REDIS_URL"] = settings.redis_url
        else:
            self.env.pop("HARVEST_REDIS_URL", None)
        self.process: subprocess.Popen[bytes] | None = None
        # The server's log, kept for the failure report of the test using it.
        self.log = var_dir.parent / f"serve-{self.port}.log"

    def start(self) -> ServeProcess:
        command = [
            sys.executable,
            "-m",
            "harvest.cli",
            "serve",
            "--port",
            str(self.port),
        ]
        var_dir = Path(self.env["HARVEST_VAR_DIR"])
        var_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("harvest serve exited during start")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("harvest serve did not start")

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 30) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
