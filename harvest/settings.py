"""Settings read from the environment, with development defaults that need nothing.

The names are the interface contract of DESIGN.md. Production mode
(``HARVEST_ENV=production``) refuses settings that are only fit for a laptop.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_VAR_DIR = Path("var")


class SettingsError(RuntimeError):
    """The environment describes a server that must not start."""


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, resolved once."""

    env: str = "development"
    var_dir: Path = DEFAULT_VAR_DIR
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_models: tuple[str, ...] = ("gpt-4", "gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo")
    default_model: str | None = None
    model_timeout_seconds: float = 60.0
    model_deadline_seconds: float = 600.0
    sse_keepalive_seconds: float = 15.0
    offline_writer_delay_seconds: float = 0.01
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_base_url: str | None = None
    webhook_allow_private: bool = False
    # permessage-deflate keeps a zlib state per WebSocket, about 46 KB each
    # idle or not; frames here are small JSON, so it is off unless asked for.
    ws_per_message_deflate: bool = False
    webhook_retry_base_seconds: float = 5.0
    webhook_timeout_seconds: float = 10.0
    job_lease_seconds: float = 30.0
    cors_origins: tuple[str, ...] = ()
    rate_limits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    rate_limit_namespace: str = ""
    oauth_clients: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    oauth_endpoints: Mapping[str, str] = field(default_factory=dict)
    app_url: str | None = None
    run_workers: bool = True
    request_timeout_seconds: float = 30.0
    db_connect_timeout_seconds: float = 3.0
    # PostgreSQL connections a process keeps; as many more may open in a burst.
    db_pool_size: int = 10

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some values replaced (tests and the CLI use it)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def check_production(self) -> None:
        """Refuse to run production on development-only settings, saying why."""
        if not self.is_production:
            return
        problems = []
        if not self.secret_key:
            problems.append(
                "HARVEST_SECRET_KEY is unset: set a long random value shared by "
                "every process"
            )
        if self.is_sqlite:
            problems.append(
                "HARVEST_DATABASE_URL points at SQLite: production needs PostgreSQL "
                "(postgresql+asyncpg://...)"
            )
        if problems:
            raise SettingsError(
                "refusing to start in production: " + "; ".join(problems)
            )


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (value or "").split(",") if n.strip())


def _secret_from_var(var_dir: Path) -> str:
    """Read the development secret, generating it once under ``var/``."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


def _oauth_clients(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    clients = {}
    for provider in ("google", "github", "microsoft", "linkedin"):
        client_id = environ.get(f"HARVEST_OAUTH_{provider.upper()}_CLIENT_ID")
        secret = environ.get(f"HARVEST_OAUTH_{provider.upper()}_CLIENT_SECRET", "")
        if client_id:
            clients[provider] = (client_id, secret)
    return clients


def _oauth_endpoints(environ: Mapping[str, str]) -> dict[str, str]:
    """Per-provider base URL overrides (``HARVEST_OAUTH_<P>_BASE_URL``)."""
    endpoints = {}
    for provider in ("google", "github", "microsoft", "linkedin"):
        base = environ.get(f"HARVEST_OAUTH_{provider.upper()}_BASE_URL")
        if base:
            endpoints[provider] = base
    return endpoints


def _rate_limits(value: str | None) -> dict[str, dict[str, int]]:
    """Per-tier overrides of the rate limits, as JSON (tests and staging)."""
    if not value:
        return {}
    try:
        parsed = json.loads(value)
        return {
            str(tier): {str(name): int(n) for name, n in numbers.items()}
            for tier, numbers in parsed.items()
        }
    except (ValueError, TypeError, AttributeError) as exc:
        raise SettingsError(
            'HARVEST_RATE_LIMITS must be JSON like {"free": {"requests_per_minute": 5}}'
        ) from exc


def _pool_size(value: str | None) -> int:
    """``HARVEST_DATABASE_POOL_SIZE``: a whole number of connections, at least 1."""
    if not value:
        return Settings.db_pool_size
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise SettingsError("HARVEST_DATABASE_POOL_SIZE must be a whole number >= 1")
    return size


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    var_dir = Path(env.get("HARVEST_VAR_DIR", str(DEFAULT_VAR_DIR)))
    mode = env.get("HARVEST_ENV", "development").strip().lower() or "development"
    database_url = env.get("HARVEST_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{var_dir / 'harvest.db'}"
    )
    secret = env.get("HARVEST_SECRET_KEY") or ""
    if not secret and mode != "production":
        secret = _secret_from_var(var_dir)
    origins = tuple(
        o.strip() for o in env.get("HARVEST_CORS_ORIGINS", "").split(",") if o.strip()
    )
    settings = Settings(
        env=mode,
        var_dir=var_dir,
        database_url=database_url,
        redis_url=env.get("HARVEST_REDIS_URL") or None,
        db_pool_size=_pool_size(env.get("HARVEST_DATABASE_POOL_SIZE")),
        secret_key=secret,
        public_url=env.get("HARVEST_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        smtp_url=env.get("HARVEST_SMTP_URL") or None,
        openai_api_key=env.get("OPENAI_API_KEY") or None,
        openai_base_url=env.get("OPENAI_BASE_URL") or None,
        openai_models=_names(env.get("HARVEST_OPENAI_MODELS"))
        or Settings.openai_models,
        default_model=env.get("HARVEST_DEFAULT_MODEL") or None,
        model_timeout_seconds=float(env.get("HARVEST_MODEL_TIMEOUT_SECONDS") or 60),
        model_deadline_seconds=float(env.get("HARVEST_MODEL_DEADLINE_SECONDS") or 600),
        sse_keepalive_seconds=float(env.get("HARVEST_SSE_KEEPALIVE_SECONDS") or 15),
        offline_writer_delay_seconds=float(
            env.get("HARVEST_OFFLINE_WRITER_DELAY_SECONDS") or 0.01
        ),
        stripe_api_key=env.get("STRIPE_API_KEY") or None,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
        stripe_base_url=env.get("HARVEST_STRIPE_BASE_URL") or None,
        webhook_allow_private=_flag(env.get("HARVEST_WEBHOOK_ALLOW_PRIVATE")),
        ws_per_message_deflate=_flag(env.get("HARVEST_WS_PER_MESSAGE_DEFLATE")),
        webhook_timeout_seconds=float(env.get("HARVEST_WEBHOOK_TIMEOUT_SECONDS", "10")),
        job_lease_seconds=float(env.get("HARVEST_JOB_LEASE_SECONDS", "30")),
        cors_origins=origins,
        rate_limits=_rate_limits(env.get("HARVEST_RATE_LIMITS")),
        rate_limit_namespace=env.get("HARVEST_RATE_LIMIT_NAMESPACE", ""),
        oauth_clients=_oauth_clients(env),
        oauth_endpoints=_oauth_endpoints(env),
        app_url=env.get("HARVEST_APP_URL") or None,
        run_workers=not _flag(env.get("HARVEST_NO_WORKERS")),
    )
    settings.check_production()
    return settings
