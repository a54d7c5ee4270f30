"""``harvest admin``: the operator's commands, run against the configured database.

Each command opens the process's parts (database, services, configuration),
calls the same resolvers/ functions the API calls wherever one exists, and
prints plain text. Commands over many rows show a progress bar on a terminal
(``--progress`` forces it, ``--no-progress`` hides it).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import json
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlmodel import col, select
from tqdm import tqdm

from harvest.admin_bulk import export_generations, reindex_search
from harvest.settings import Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from harvest.app import Parts
    from models.user import User
    from resolvers.context import RequestContext

SECRET_FIELDS = frozenset(
    {"secret_key", "openai_api_key", "stripe_api_key", "stripe_webhook_secret"}
)
SECRET_WORDS = ("secret", "password", "token", "api_key")
URL_FIELDS = frozenset({"database_url", "redis_url", "smtp_url"})
MASK = "********"


class AdminError(Exception):
    """A command that cannot do what it was asked; the message says why."""


@dataclasses.dataclass
class Admin:
    """What every command gets: the parts, the arguments and the output."""

    parts: Parts
    args: argparse.Namespace
    out: TextIO

    def say(self, text: str) -> None:
        self.out.write(text + "\n")

    def note(self, text: str) -> None:
        """A line for the operator that stays out of the command's output."""
        sys.stderr.write(text + "\n")

    def _show_progress(self) -> bool:
        wanted = self.args.progress
        return sys.stderr.isatty() if wanted is None else bool(wanted)

    def progress(self, items: Sequence[Any], label: str) -> Iterable[Any]:
        bar: Iterable[Any] = tqdm(
            items,
            desc=label,
            unit="row",
            file=sys.stderr,
            disable=not self._show_progress(),
        )
        return bar

    def bar(self, total: int, label: str) -> tqdm[Any]:
        """A progress bar over ``total`` rows, advanced by the caller."""
        return tqdm(
            total=total,
            desc=label,
            unit="row",
            file=sys.stderr,
            disable=not self._show_progress(),
        )

    async def context(self, user: User | None = None) -> RequestContext:
        """A request context acting as ``user`` (or as nobody)."""
        from resolvers.context import Principal

        rc = await self.parts.contexts.build(
            token=None, client_ip=None, surface="admin", request_id="admin"
        )
        if user is not None:
            rc.principal = Principal(user_id=user.id, tier=user.subscription_tier)
        return rc


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Parts]:
    from harvest.app import Parts

    parts = Parts(settings)
    try:
        yield parts
    finally:
        await parts.db.dispose()


async def find_user(admin: Admin, who: str) -> User:
    """A user by id (``usr_...``) or email."""
    from models.user import User

    async with admin.parts.db.session() as session:
        if who.startswith("usr_"):
            user = await session.get(User, who)
        else:
            found = await session.execute(
                select(User).where(sa.func.lower(col(User.email)) == who.lower())
            )
            user = found.scalars().first()
    if user is None:
        raise AdminError(f"no user with id or email {who!r}")
    return user


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise AdminError("give the password on stdin with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise AdminError("the two passwords differ")
    return first


async def create_user(admin: Admin) -> None:
    from resolvers.auth import sign_up
    from resolvers.tiers import require_tier

    args = admin.args
    if args.tier:
        require_tier(args.tier)
    password = _read_password(args)
    async with admin.parts.db.session() as session:
        created = await sign_up(
            session,
            ctx=await admin.context(),
            email=args.email,
            password=password,
            name=args.name,
        )
        user = created.user
        if args.tier:
            user.subscription_tier = args.tier
            session.add(user)
        await session.commit()
    admin.say(f"created {user.id} {user.email} tier={user.subscription_tier}")


async def set_tier(admin: Admin) -> None:
    from resolvers.tiers import require_tier

    tier = require_tier(admin.args.tier).name
    user = await find_user(admin, admin.args.user)
    async with admin.parts.db.session() as session:
        stored = await session.get(type(user), user.id)
        assert stored is not None
        before = stored.subscription_tier
        stored.subscription_tier = tier
        session.add(stored)
        await session.commit()
    admin.say(f"{user.id} tier {before} -> {tier}")


async def create_api_key(admin: Admin) -> None:
    from resolvers.api_keys import create_api_key as create_key

    user = await find_user(admin, admin.args.user)
    permissions = ["read"] if admin.args.read_only else ["read", "write"]
    async with admin.parts.db.session() as session:
        issued = await create_key(
            session,
            ctx=await admin.context(user),
            name=admin.args.name,
            permissions=permissions,
        )
    admin.say(f"created {issued.key.id} for {user.id} ({','.join(permissions)})")
    admin.say("secret (shown once): " + issued.secret)


def _table(admin: Admin, rows: list[list[str]], header: list[str]) -> None:
    if not rows:
        admin.say("(none)")
        return
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        admin.say(
            "  ".join(
                cell.ljust(w) for cell, w in zip(row, widths, strict=True)
            ).rstrip()
        )


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else "-"


async def list_jobs(admin: Admin) -> None:
    from models.job import Job

    query = select(Job).order_by(col(Job.updated_at).desc()).limit(admin.args.limit)
    if admin.args.status != "all":
        query = query.where(col(Job.status) == admin.args.status)
    if admin.args.kind:
        query = query.where(col(Job.kind) == admin.args.kind)
    async with admin.parts.db.session() as session:
        jobs = list((await session.execute(query)).scalars())
    rows = [
        [
            j.id,
            j.kind,
            j.status,
            f"{j.attempts}/{j.max_attempts}",
            _when(j.updated_at),
            (j.last_error or "")[:60],
        ]
        for j in jobs
    ]
    _table(admin, rows, ["id", "kind", "status", "attempts", "updated", "last error"])


async def retry_jobs(admin: Admin) -> None:
    from models.job import Job
    from resolvers.jobs import retry_failed_job

    ids = list(admin.args.ids)
    if admin.args.all_failed:
        async with admin.parts.db.session() as session:
            found = await session.execute(
                select(Job.id).where(col(Job.status) == "failed")
            )
            ids.extend(found.scalars())
    if not ids:
        raise AdminError("name job ids, or pass --all-failed")
    retried = 0
    for job_id in admin.progress(ids, "retrying jobs"):
        async with admin.parts.db.session() as session:
            if await retry_failed_job(session, job_id=job_id):
                retried += 1
            else:
                admin.say(f"skipped {job_id}: not a failed job")
    admin.say(f"requeued {retried} job(s)")


async def list_deliveries(admin: Admin) -> None:
    from models.webhook import WebhookDelivery

    query = (
        select(WebhookDelivery)
        .order_by(col(WebhookDelivery.created_at).desc())
        .limit(admin.args.limit)
    )
    if admin.args.status != "all":
        query = query.where(col(WebhookDelivery.status) == admin.args.status)
    async with admin.parts.db.session() as session:
        deliveries = list((await session.execute(query)).scalars())
    rows = [
        [
            d.id,
            d.status,
            str(d.attempts),
            str(d.last_status_code or "-"),
            _when(d.created_at),
            urlsplit(d.url).netloc,
        ]
        for d in deliveries
    ]
    _table(admin, rows, ["id", "status", "attempts", "http", "created", "host"])


async def retry_deliveries(admin: Admin) -> None:
    from models.webhook import WebhookDelivery, WebhookEvent
    from resolvers.events import queue_delivery

    ids = list(admin.args.ids)
    if admin.args.all_failed:
        async with admin.parts.db.session() as session:
            found = await session.execute(
                select(WebhookDelivery.id).where(
                    col(WebhookDelivery.status) == "failed"
                )
            )
            ids.extend(found.scalars())
    if not ids:
        raise AdminError("name delivery ids, or pass --all-failed")
    queued = 0
    for delivery_id in admin.progress(ids, "redelivering"):
        async with admin.parts.db.session() as session:
            past = await session.get(WebhookDelivery, delivery_id)
            event = await session.get(WebhookEvent, past.event_id) if past else None
            if past is None or event is None or past.status != "failed":
                admin.say(f"skipped {delivery_id}: not a failed delivery")
                continue
            fresh = await queue_delivery(
                session, event=event, url=past.url, endpoint_id=past.endpoint_id
            )
            await session.commit()
            admin.say(f"{delivery_id} -> {fresh.id}")
            queued += 1
    admin.say(f"queued {queued} new delivery(ies)")


async def purge_deletions(admin: Admin) -> None:
    from models.base import utcnow
    from models.user import User
    from resolvers.users import purge_user

    async with admin.parts.db.session() as session:
        found = await session.execute(
            select(User.id).where(
                col(User.deletion_scheduled_at).is_not(None),
                col(User.deletion_scheduled_at) <= utcnow(),
            )
        )
        due = list(found.scalars())
    if admin.args.dry_run:
        for user_id in due:
            admin.say(f"due {user_id}")
        admin.say(f"{len(due)} account(s) due for purge (dry run)")
        return
    rc = await admin.context()
    for user_id in admin.progress(due, "purging"):
        async with admin.parts.db.session() as session:
            await purge_user(session, rc, {"user_id": user_id})
    admin.say(f"purged {len(due)} account(s)")


def masked_url(url: str | None) -> str | None:
    """``url`` with any password replaced by the mask."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    userinfo = f"{parts.username or ''}:{MASK}@"
    return urlunsplit(parts._replace(netloc=userinfo + host))


def masked_settings(settings: Settings) -> dict[str, Any]:
    """The resolved configuration with every secret masked."""
    shown: dict[str, Any] = {}
    for item in dataclasses.fields(settings):
        value = getattr(settings, item.name)
        if item.name in SECRET_FIELDS or any(w in item.name for w in SECRET_WORDS):
            value = MASK if value else None
        elif item.name in URL_FIELDS:
            value = masked_url(value)
        elif item.name == "oauth_clients":
            value = {
                name: {"client_id": pair[0], "client_secret": MASK}
                for name, pair in value.items()
            }
        elif not isinstance(value, (str, int, float, bool, type(None))):
            value = json.loads(json.dumps(value, default=str))
        shown[item.name] = value
    return shown


def print_config(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    shown = masked_settings(settings)
    if args.json:
        out.write(json.dumps(shown, indent=2, sort_keys=True) + "\n")
        return 0
    width = max(len(name) for name in shown)
    for name, value in shown.items():
        out.write(f"{name.ljust(width)}  {json.dumps(value, default=str)}\n")
    return 0


Command = Callable[[Admin], Awaitable[None]]


def _runner(command: Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        settings = load_settings()

        async def main() -> None:
            async with opened(settings) as parts:
                await command(Admin(parts=parts, args=args, out=sys.stdout))

        try:
            asyncio.run(main())
        except AdminError as exc:
            print(f"harvest admin: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:
            from resolvers.errors import HarvestError

            if not isinstance(exc, HarvestError):
                raise
            print(f"harvest admin: {exc.code.value}: {exc}", file=sys.stderr)
            return 1
        return 0

    return run


def _config(args: argparse.Namespace) -> int:
    return print_config(load_settings(), args, sys.stdout)


def register(commands: Any) -> None:
    """Add ``harvest admin ...`` to the CLI's subcommands."""
    admin = commands.add_parser("admin", help="operator commands")
    progress = admin.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true")
    progress.add_argument("--no-progress", dest="progress", action="store_false")
    admin.set_defaults(progress=None)
    sub = admin.add_subparsers(dest="admin_command", required=True)

    p = sub.add_parser("create-user", help="create an account with a password")
    p.add_argument("email")
    p.add_argument("--name")
    p.add_argument("--tier", help="free, pro or enterprise (default free)")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(run=_runner(create_user))

    p = sub.add_parser("set-tier", help="change a user's tier (no billing)")
    p.add_argument("user", help="user id or email")
    p.add_argument("tier")
    p.set_defaults(run=_runner(set_tier))

    p = sub.add_parser("create-api-key", help="issue an API key for a user")
    p.add_argument("user", help="user id or email")
    p.add_argument("--name", default="admin")
    p.add_argument("--read-only", action="store_true")
    p.set_defaults(run=_runner(create_api_key))

    for noun, lister, retrier, statuses in (
        ("jobs", list_jobs, retry_jobs, ("queued", "running", "succeeded")),
        ("deliveries", list_deliveries, retry_deliveries, ("pending", "retrying")),
    ):
        group = sub.add_parser(noun, help=f"list and retry failed {noun}")
        actions = group.add_subparsers(dest=f"{noun}_action", required=True)
        p = actions.add_parser("list")
        p.add_argument(
            "--status", default="failed", choices=[*statuses, "failed", "all"]
        )
        p.add_argument("--limit", type=int, default=50)
        if noun == "jobs":
            p.add_argument("--kind")
        p.set_defaults(run=_runner(lister))
        p = actions.add_parser("retry")
        p.add_argument("ids", nargs="*")
        p.add_argument("--all-failed", action="store_true")
        p.set_defaults(run=_runner(retrier))

    p = sub.add_parser("purge-deletions", help="delete accounts past their grace")
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(run=_runner(purge_deletions))

    p = sub.add_parser("reindex-search", help="rebuild the generation search index")
    p.set_defaults(run=_runner(reindex_search))

    p = sub.add_parser(
        "export-generations", help="write generations as JSON lines, one per line"
    )
    p.add_argument("--user", help="only this user's (id or email)")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p.set_defaults(run=_runner(export_generations))

    p = sub.add_parser("config", help="print the configuration, secrets masked")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_config)
