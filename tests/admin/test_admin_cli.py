"""``harvest admin``: each command against a real database."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from harvest.app import app_config
from harvest.cli import main
from harvest.settings import Settings
from models.base import utcnow
from models.db import Database
from models.generation import Generation
from models.job import Job
from models.user import User
from models.webhook import WebhookDelivery, WebhookEvent
from resolvers.auth_tokens import authenticate_bearer

CREATE_USER = [
    *("admin", "create-user", "ops@example.com", "--name", "Ops"),
    *("--tier", "pro", "--password-stdin"),
]


@pytest.fixture
def admin_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment ``harvest admin`` reads, pointed at this test's database."""
    monkeypatch.setenv("HARVEST_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HARVEST_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("HARVEST_VAR_DIR", str(settings.var_dir))
    monkeypatch.delenv("HARVEST_REDIS_URL", raising=False)
    return settings


def run_db(settings: Settings, work: Any) -> Any:
    """Run ``work(session)`` on a database connection of the test's own."""

    async def go() -> Any:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def store(settings: Settings, *rows: Any) -> None:
    async def work(session: Any) -> None:
        for row in rows:
            session.add(row)
            await session.flush()
        await session.commit()

    run_db(settings, work)


def fetch(settings: Settings, model: Any, key: str) -> Any:
    async def work(session: Any) -> Any:
        return await session.get(model, key)

    return run_db(settings, work)


def test_create_user_stores_an_account_with_a_hashed_password(
    admin_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("resolvers.auth", reason="the auth domain is not here yet")
    monkeypatch.setattr("sys.stdin", io.StringIO("Admin-Made-Passw0rd!\n"))

    code = main(CREATE_USER)

    assert code == 0
    user_id = capsys.readouterr().out.split()[1]
    user = fetch(admin_env, User, user_id)
    assert user.email == "ops@example.com"
    assert user.subscription_tier == "pro"
    assert user.password_hash and "Admin-Made-Passw0rd!" not in user.password_hash


def test_set_tier_changes_the_tier_found_by_email(
    admin_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    user = User(email="tiered@example.com", name="T")
    store(admin_env, user)

    code = main(["admin", "set-tier", "Tiered@example.com", "enterprise"])

    assert code == 0
    assert fetch(admin_env, User, user.id).subscription_tier == "enterprise"
    assert "free -> enterprise" in capsys.readouterr().out


def test_set_tier_refuses_a_tier_that_does_not_exist(
    admin_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    user = User(email="stays@example.com", name="S")
    store(admin_env, user)

    code = main(["admin", "set-tier", user.id, "platinum"])

    assert code == 1
    assert "VALIDATION_ERROR" in capsys.readouterr().err
    assert fetch(admin_env, User, user.id).subscription_tier == "free"


def test_create_api_key_prints_a_secret_that_authenticates(
    admin_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("resolvers.api_keys", reason="the auth domain is not here")
    user = User(email="keyed@example.com", name="K")
    store(admin_env, user)

    code = main(["admin", "create-api-key", user.id, "--name", "ci", "--read-only"])

    assert code == 0
    secret = capsys.readouterr().out.split("secret (shown once): ")[1].strip()
    assert secret.startswith("hv_")

    async def check(session: Any) -> Any:
        return await authenticate_bearer(
            session, config=app_config(admin_env), token=secret
        )

    principal = run_db(admin_env, check)
    assert principal.user_id == user.id
    assert "write" not in principal.permissions


def test_failed_jobs_are_listed_and_requeued_with_a_progress_bar(
    admin_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = Job(kind="webhook.deliver", status="failed", attempts=8, last_error="boom")
    done = Job(kind="webhook.deliver", status="succeeded", attempts=1)
    store(admin_env, failed, done)

    main(["admin", "jobs", "list"])
    listing = capsys.readouterr().out
    code = main(["admin", "--progress", "jobs", "retry", "--all-failed"])
    retried = capsys.readouterr()

    assert failed.id in listing and done.id not in listing
    assert code == 0
    assert "requeued 1 job(s)" in retried.out
    assert "100%" in retried.err
    job = fetch(admin_env, Job, failed.id)
    assert job.status == "queued" and job.attempts == 0


def test_failed_deliveries_are_listed_and_sent_again_as_new_deliveries(
    admin_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    user = User(email="hooks@example.com", name="H")
    event = WebhookEvent(user_id=user.id, type="generation.completed", data={})
    failed = WebhookDelivery(
        event_id=event.id, url="https://receiver.example/hook", status="failed"
    )
    store(admin_env, user, event, failed)

    main(["admin", "deliveries", "list"])
    listing = capsys.readouterr().out
    code = main(["admin", "deliveries", "retry", failed.id])
    out = capsys.readouterr().out

    assert failed.id in listing and "receiver.example" in listing
    assert code == 0
    fresh_id = out.split(f"{failed.id} -> ")[1].split()[0]
    fresh = fetch(admin_env, WebhookDelivery, fresh_id)
    assert fresh.event_id == event.id and fresh.status == "pending"

    async def jobs_for(session: Any) -> list[Job]:
        found = await session.execute(
            select(Job).where(col(Job.kind) == "webhook.deliver")
        )
        return list(found.scalars())

    assert [j.payload for j in run_db(admin_env, jobs_for)] == [
        {"delivery_id": fresh_id}
    ]


def test_purge_deletions_removes_only_accounts_past_their_grace(
    admin_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("resolvers.users", reason="the users domain is not here")
    due = User(
        email="due@example.com",
        name="D",
        deletion_scheduled_at=utcnow() - timedelta(minutes=1),
    )
    waiting = User(
        email="waiting@example.com",
        name="W",
        deletion_scheduled_at=utcnow() + timedelta(days=3),
    )
    store(admin_env, due, waiting)

    dry = main(["admin", "purge-deletions", "--dry-run"])
    dry_out = capsys.readouterr().out
    code = main(["admin", "purge-deletions"])

    assert dry == 0 and f"due {due.id}" in dry_out and waiting.id not in dry_out
    assert code == 0
    assert "purged 1 account(s)" in capsys.readouterr().out
    assert fetch(admin_env, User, due.id) is None
    assert fetch(admin_env, User, waiting.id) is not None


def test_config_prints_the_settings_with_secrets_masked(
    admin_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-openai")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_canary")
    monkeypatch.setenv("HARVEST_REDIS_URL", "redis://:redis-canary@cache:6379/0")

    code = main(["admin", "config", "--json"])
    out = capsys.readouterr().out

    assert code == 0
    for secret in ("sk-canary-openai", "whsec_canary", "redis-canary", "test-secret-"):
        assert secret not in out
    assert '"openai_api_key": "********"' in out
    assert "redis://:********@cache:6379/0" in out


def _search_index_hits(settings: Settings, word: str) -> set[str]:
    """Ids the database's own full-text index finds for ``word``."""

    async def work(session: Any) -> set[str]:
        if session.bind.dialect.name == "postgresql":
            query = (
                "SELECT id FROM generations WHERE to_tsvector('english', "
                "title || ' ' || content) @@ plainto_tsquery('english', :w)"
            )
        else:
            query = "SELECT gid FROM generations_fts WHERE generations_fts MATCH :w"
        return set((await session.execute(sa.text(query), {"w": word})).scalars())

    return run_db(settings, work)


def _generations(user: User, count: int, word: str) -> list[Generation]:
    return [
        Generation(
            user_id=user.id,
            format="blog",
            status="completed",
            model="offline",
            input=f"input {n}",
            title=f"Title {n}",
            content=f"A {word} story, part {n}.",
        )
        for n in range(count)
    ]


def test_reindex_search_rebuilds_the_index_in_batches_with_a_progress_bar(
    admin_env: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = User(email="index@example.com", name="I")
    rows = _generations(user, 5, "zephyr")
    store(admin_env, user, *rows)
    if not admin_env.database_url.startswith("postgresql"):
        run_db(admin_env, _wipe_sqlite_index)
        assert _search_index_hits(admin_env, "zephyr") == set()
    monkeypatch.setattr("harvest.admin_bulk.BATCH_ROWS", 2)

    code = main(["admin", "--progress", "reindex-search"])
    printed = capsys.readouterr()

    assert code == 0
    assert "reindexed 5 generation(s)" in printed.out
    assert "100%" in printed.err and "5/5" in printed.err
    assert _search_index_hits(admin_env, "zephyr") == {row.id for row in rows}


async def _wipe_sqlite_index(session: Any) -> None:
    await session.execute(sa.text("DELETE FROM generations_fts"))
    await session.commit()


def test_export_generations_writes_one_json_line_per_generation_of_the_user(
    admin_env: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    mine, theirs = User(email="me@example.com"), User(email="them@example.com")
    my_rows = _generations(mine, 5, "mine")
    store(admin_env, mine, theirs, *my_rows, *_generations(theirs, 2, "theirs"))
    monkeypatch.setattr("harvest.admin_bulk.BATCH_ROWS", 2)
    target = tmp_path / "export.jsonl"

    code = main(
        [
            "admin",
            "--progress",
            "export-generations",
            "--user",
            mine.email,
            "-o",
            str(target),
        ]
    )
    printed = capsys.readouterr()

    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert code == 0
    assert [line["id"] for line in lines] == sorted(row.id for row in my_rows)
    assert {line["user_id"] for line in lines} == {mine.id}
    assert lines[0]["content"].startswith("A mine story")
    assert {"input", "options", "metadata", "created_at"} <= set(lines[0])
    assert "exported 5 generation(s)" in printed.err and "5/5" in printed.err
