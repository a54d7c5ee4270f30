"""Settings: development needs nothing; production refuses laptop settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harvest.settings import SettingsError, load_settings


def test_development_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = load_settings({"HARVEST_VAR_DIR": str(tmp_path)})

    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'harvest.db'}"
    assert settings.redis_url is None
    assert len(settings.secret_key) >= 40
    assert settings.outbox_dir == tmp_path / "outbox"


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"HARVEST_VAR_DIR": str(tmp_path)})
    second = load_settings({"HARVEST_VAR_DIR": str(tmp_path)})

    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_an_unset_secret(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="HARVEST_SECRET_KEY"):
        load_settings(
            {
                "HARVEST_ENV": "production",
                "HARVEST_VAR_DIR": str(tmp_path),
                "HARVEST_DATABASE_URL": "postgresql+asyncpg://db/harvest",
            }
        )


def test_production_refuses_sqlite(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SQLite"):
        load_settings(
            {
                "HARVEST_ENV": "production",
                "HARVEST_VAR_DIR": str(tmp_path),
                "HARVEST_SECRET_KEY": "s" * 48,
            }
        )


def test_production_accepts_postgres_and_a_secret(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "HARVEST_ENV": "production",
            "HARVEST_SECRET_KEY": "s" * 48,
            "HARVEST_DATABASE_URL": "postgresql+asyncpg://db/harvest",
            "HARVEST_VAR_DIR": str(tmp_path),
        }
    )

    assert settings.is_production
    assert not (tmp_path / "secret_key").exists()


def test_the_database_pool_size_is_read_and_checked(tmp_path: Path) -> None:
    from models.db import make_engine

    base = {"HARVEST_VAR_DIR": str(tmp_path)}
    assert load_settings(base).db_pool_size == 10
    settings = load_settings({**base, "HARVEST_DATABASE_POOL_SIZE": "40"})
    assert settings.db_pool_size == 40
    for bad in ("0", "-3", "many"):
        with pytest.raises(SettingsError, match="HARVEST_DATABASE_POOL_SIZE"):
            load_settings({**base, "HARVEST_DATABASE_POOL_SIZE": bad})

    engine = make_engine(
        "postgresql+asyncpg://harvest@127.0.0.1:5432/harvest", pool_size=40
    )
    pool: Any = engine.sync_engine.pool
    assert (pool.size(), pool._max_overflow) == (40, 40)
