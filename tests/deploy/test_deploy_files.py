"""deploy/: the image definition, the compose file and the nginx config.

There is no container engine here, so these checks read the files: the
compose file's structure (and ``docker-compose config`` where that client is
installed), the Dockerfile through a parser, and nginx's own ``-t`` check
where nginx is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = {"postgres", "redis", "migrate", "api1", "api2", "worker", "lb"}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def command_of(service: dict[str, Any]) -> list[str]:
    return list(service.get("command") or [])


def test_compose_runs_the_scaled_setup() -> None:
    services = compose()["services"]

    assert set(services) == SERVICES
    serving = [
        n for n, s in services.items() if command_of(s)[:2] == ["harvest", "serve"]
    ]
    working = [
        n for n, s in services.items() if command_of(s)[:2] == ["harvest", "worker"]
    ]
    assert sorted(serving) == ["api1", "api2"]
    assert working == ["worker"]
    assert services["lb"]["image"].startswith("nginx")


def test_api_processes_leave_jobs_to_the_worker_and_share_state() -> None:
    services = compose()["services"]

    for name in ("api1", "api2", "worker", "migrate"):
        env = services[name]["environment"]
        assert env["HARVEST_ENV"] == "production"
        assert env["HARVEST_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in env["HARVEST_DATABASE_URL"]
        assert env["HARVEST_REDIS_URL"] == "redis://redis:6379/0"
        assert env["HARVEST_SECRET_KEY"].startswith("${HARVEST_SECRET_KEY:?")
    for name in ("api1", "api2"):
        assert services[name]["environment"]["HARVEST_NO_WORKERS"] == "true"
    assert "HARVEST_NO_WORKERS" not in services["worker"]["environment"]


def test_only_the_load_balancer_publishes_a_port_and_dependencies_exist() -> None:
    services = compose()["services"]

    published = [n for n, s in services.items() if s.get("ports")]
    assert published == ["lb"]
    for name, service in services.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in services, (name, target)
            assert rule["condition"] in {
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            }
            if rule["condition"] == "service_healthy":
                has_own = "healthcheck" in services[target]
                assert has_own or target in {"api1", "api2"}, (name, target)


def test_nginx_balances_over_exactly_the_api_services() -> None:
    config = (DEPLOY / "nginx.conf").read_text()

    upstream = re.search(r"upstream harvest_api \{(.*?)\}", config, re.S)
    assert upstream is not None
    servers = re.findall(r"server (\w+):8000", upstream.group(1))
    assert sorted(servers) == ["api1", "api2"]
    assert "proxy_buffering off" in config
    assert "$connection_upgrade" in config


def test_dockerfile_builds_a_non_root_image_from_files_that_exist() -> None:
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    instructions = parser.structure

    froms = [i["value"] for i in instructions if i["instruction"] == "FROM"]
    assert len(froms) == 2 and all(f.startswith("python:3.12") for f in froms)
    copies = [i["value"].split() for i in instructions if i["instruction"] == "COPY"]
    for parts in copies:
        if parts[0].startswith("--from"):
            continue
        for source in parts[:-1]:
            assert (ROOT / source).exists(), source
    users = [i["value"] for i in instructions if i["instruction"] == "USER"]
    assert users[-1] == "harvest"
    assert any(i["instruction"] == "HEALTHCHECK" for i in instructions)
    commands = [i["value"] for i in instructions if i["instruction"] == "CMD"]
    assert commands[-1].startswith('["harvest", "serve"')


@pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose is not installed"
)
def test_docker_compose_accepts_the_file() -> None:
    env = {**os.environ, "HARVEST_SECRET_KEY": "x" * 48}

    result = subprocess.run(
        ["docker-compose", "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(
    not Path("/usr/sbin/nginx").exists(), reason="nginx is not installed"
)
def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    local = (DEPLOY / "nginx.conf").read_text().replace("api1:", "127.0.0.1:")
    local = local.replace("api2:", "127.0.0.2:")
    local = local.replace("access_log /dev/stdout harvest;", "access_log off;")
    (tmp_path / "nginx.conf").write_text(local)

    result = subprocess.run(
        [
            "/usr/sbin/nginx",
            "-t",
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
            "-g",
            f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
