"""The ``harvest`` command: serve, worker, migrate, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from harvest.settings import SettingsError, load_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from models.migrations import upgrade

    settings = load_settings()
    if settings.is_sqlite:
        upgrade(settings.database_url)
    if args.workers > 1:
        from harvest.metrics import prepare_multiprocess_dir

        # Before the workers start: each one must see the shared folder.
        prepare_multiprocess_dir(settings.var_dir)
    options: dict[str, Any] = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": args.grace,
        "ws_max_size": 1024 * 1024,
        "ws_per_message_deflate": settings.ws_per_message_deflate,
        "proxy_headers": True,
    }
    if args.workers > 1:
        uvicorn.run("harvest.app:create_app", workers=args.workers, **options)
        return 0
    from harvest.server import HarvestServer

    HarvestServer(uvicorn.Config("harvest.app:create_app", **options)).run()
    return 0


def _worker(args: argparse.Namespace) -> int:
    from harvest.app import Parts
    from harvest.logs import configure_logging
    from harvest.operability import tracing_from_environ

    settings = load_settings()
    configure_logging(production=settings.is_production)
    parts = Parts(settings, tracing_from_environ())
    if args.metrics_port:
        from prometheus_client import start_http_server

        # A worker serves no API: its job and delivery figures get a port.
        start_http_server(args.metrics_port, addr=args.metrics_host)

    async def main() -> None:
        await parts.hub.connect()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(parts.worker.run())
        await stop.wait()
        await parts.worker.stop(grace_seconds=args.grace)
        task.cancel()
        await parts.hub.disconnect()
        await parts.db.dispose()

    asyncio.run(main())
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from models.migrations import revisions_up_to, upgrade

    settings = load_settings()
    relative = args.revision.startswith(("+", "-"))
    steps = (
        [args.revision]
        if relative
        else revisions_up_to(settings.database_url, args.revision)
    )
    # Alembic logs each applied step; the bar shows how far a long run is.
    for step in tqdm(steps, desc="migrating", unit="revision", file=sys.stderr):
        upgrade(settings.database_url, step)
    print(f"migrated to {args.revision}")
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from schema import schema

    text = schema.as_str() + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harvest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--grace",
        type=int,
        default=20,
        help="seconds to finish in-flight work on shutdown",
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run durable jobs only")
    worker.add_argument("--grace", type=float, default=20.0)
    worker.add_argument(
        "--metrics-port", type=int, help="serve Prometheus metrics on this port"
    )
    worker.add_argument("--metrics-host", default="127.0.0.1")
    worker.set_defaults(run=_worker)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(run=_migrate)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("-o", "--output", help="write to this file instead of stdout")
    export.set_defaults(run=_export_schema)

    from harvest.admin import register as register_admin

    register_admin(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SettingsError as exc:
        print(f"harvest: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
