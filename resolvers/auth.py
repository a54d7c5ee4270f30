"""Accounts and sessions: signup, login, refresh, logout and password reset.

Login answers the same, in about the same time, for an unknown email and a
wrong password: both verify a password hash of the same cost. Failures are
counted per account and per client address and slow further attempts down
(``resolvers.auth_throttle``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.base import utcnow
from models.user import PasswordReset, User
from resolvers.auth_throttle import (
    check_login_allowed,
    clear_login_failures,
    record_login_failure,
)
from resolvers.auth_tokens import (
    ACCESS_TOKEN_SECONDS,
    hash_secret,
    issue_access_token,
    revoke_refresh_family,
    revoke_user_sessions,
    rotate_refresh_token,
    start_refresh_family,
)
from resolvers.context import RequestContext
from resolvers.errors import Conflict, Unauthorized, ValidationFailed
from resolvers.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from resolvers.ports import MailMessage

logger = logging.getLogger(__name__)

AVATAR_URL = "https://api.dicebear.com/7.x/avataaars/svg?seed="
RESET_PREFIX = "rst_"
RESET_LIFETIME = timedelta(hours=1)
RESET_MAILS_PER_WINDOW = 5
MAX_NAME = 200

_mail_tasks: set[asyncio.Task[None]] = set()


@dataclass(frozen=True)
class AuthSession:
    """A signed-in user and the credentials just issued to them."""

    user: User
    access_token: str
    refresh_token: str
    expires_in: int = ACCESS_TOKEN_SECONDS


@dataclass(frozen=True)
class RefreshedAccess:
    access_token: str
    refresh_token: str
    expires_in: int = ACCESS_TOKEN_SECONDS


def normalize_email(raw: str, *, field: str = "email") -> str:
    """The canonical form of an address (lower case), or a VALIDATION_ERROR."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(field=field, reason=str(exc)) from exc
    return checked.normalized.lower()


def default_avatar(email: str) -> str:
    """The spec's default avatar: a DiceBear image seeded with the email."""
    return AVATAR_URL + quote(email, safe="@.")


def clean_name(name: str | None) -> str:
    value = (name or "").strip()
    if len(value) > MAX_NAME:
        raise ValidationFailed(
            field="name", reason=f"use at most {MAX_NAME} characters"
        )
    return value


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(select(User).where(col(User.email) == email))
    return result.scalars().first()


async def sign_up(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    email: str,
    password: str,
    name: str | None = None,
    referral_code: str | None = None,
    marketing_consent: bool = False,
) -> AuthSession:
    """Create an account with a password and sign it in."""
    address = normalize_email(email)
    check_password_policy(password, email=address)
    display_name = clean_name(name)
    if referral_code is not None and len(referral_code) > 64:
        raise ValidationFailed(field="referral_code", reason="at most 64 characters")
    if await find_user_by_email(session, address) is not None:
        raise _email_taken()

    user = User(
        email=address,
        name=display_name,
        password_hash=await hash_password(password),
        avatar=default_avatar(address),
        referral_code=referral_code or None,
        marketing_consent=marketing_consent,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise _email_taken() from exc
    return await open_session(session, ctx=ctx, user=user, remember_me=False)


def _email_taken() -> Conflict:
    return Conflict(
        "An account with this email already exists: log in instead",
        details={"field": "email", "reason": "already_registered"},
    )


async def log_in(
    session: AsyncSession,
    *,
    ctx: RequestContext,
    email: str,
    password: str,
    remember_me: bool = False,
) -> AuthSession:
    """Check an email and password and open a session."""
    address = normalize_email(email)
    attempts = ctx.services.attempts
    await check_login_allowed(attempts, email=address, client_ip=ctx.client_ip)

    user = await find_user_by_email(session, address)
    stored = user.password_hash if user is not None else None
    verified = await verify_password(stored, password)
    if user is None or not verified:
        await record_login_failure(attempts, email=address, client_ip=ctx.client_ip)
        raise Unauthorized("Invalid email or password")
    await clear_login_failures(attempts, email=address)

    if stored is not None and needs_rehash(stored):
        user.password_hash = await hash_password(password)
    return await open_session(session, ctx=ctx, user=user, remember_me=remember_me)


async def open_session(
    session: AsyncSession, *, ctx: RequestContext, user: User, remember_me: bool
) -> AuthSession:
    """Record the login, start a refresh family and issue an access token.

    Signing in during the deletion grace period cancels the deletion.
    """
    now = utcnow()
    user.last_login = now
    if user.deletion_scheduled_at is not None:
        user.deletion_scheduled_at = None
        user.deletion_reason = None
        user.deletion_feedback = None
        logger.info("account deletion cancelled by login", extra={"user": user.id})
    session.add(user)
    refresh = await start_refresh_family(
        session, config=ctx.config, user_id=user.id, remember_me=remember_me
    )
    await session.commit()
    await session.refresh(user)
    access, _ = issue_access_token(ctx.config, user)
    return AuthSession(user=user, access_token=access, refresh_token=refresh)


async def refresh_access(
    session: AsyncSession, *, ctx: RequestContext, refresh_token: str
) -> RefreshedAccess:
    """Spend a refresh token for a new access token and its replacement."""
    user, replacement = await rotate_refresh_token(
        session, config=ctx.config, secret=refresh_token
    )
    access, _ = issue_access_token(ctx.config, user)
    return RefreshedAccess(access_token=access, refresh_token=replacement)


async def log_out(
    session: AsyncSession, *, ctx: RequestContext, refresh_token: str
) -> None:
    """Revoke the session the refresh token belongs to (unknown tokens: no-op)."""
    await revoke_refresh_family(session, config=ctx.config, secret=refresh_token)


async def request_password_reset(
    session: AsyncSession, *, ctx: RequestContext, email: str
) -> None:
    """Mail a single-use reset link if the account exists; the caller always
    hears the same answer, at about the same speed."""
    address = normalize_email(email)
    user = await find_user_by_email(session, address)
    if user is None:
        return
    mail_key = f"reset-mail:{address}"
    sent, _ = await ctx.services.attempts.failures(mail_key)
    if sent >= RESET_MAILS_PER_WINDOW:
        logger.info("password reset mail suppressed", extra={"user": user.id})
        return
    await ctx.services.attempts.record_failure(mail_key)

    token = RESET_PREFIX + secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=hash_secret(ctx.config, token),
            expires_at=utcnow() + RESET_LIFETIME,
        )
    )
    await session.commit()
    _send_in_background(ctx, reset_mail(ctx, to=user.email, token=token))


def reset_mail(ctx: RequestContext, *, to: str, token: str) -> MailMessage:
    link = f"{ctx.config.public_url}/reset-password?" + urlencode({"token": token})
    text = (
        "Someone asked to reset the password of your Harvest account.\n\n"
        f"Choose a new password here (the link works once, for one hour):\n{link}\n\n"
        f"Or send this token to POST /v1/auth/reset-password: {token}\n\n"
        "If it was not you, ignore this message; your password is unchanged.\n"
    )
    return MailMessage(to=to, subject="Reset your Harvest password", text=text)


def _send_in_background(ctx: RequestContext, message: MailMessage) -> None:
    """Send without making the caller wait, so timing reveals no account."""

    async def send() -> None:
        try:
            await ctx.services.mailer.send(message)
        except Exception:
            logger.exception("password reset mail failed")

    task = asyncio.get_running_loop().create_task(send())
    _mail_tasks.add(task)
    task.add_done_callback(_mail_tasks.discard)


async def reset_password(
    session: AsyncSession, *, ctx: RequestContext, token: str, password: str
) -> None:
    """Spend a reset token: set the password and revoke every session."""
    reset = await _live_reset(session, ctx=ctx, token=token)
    user = await session.get(User, reset.user_id)
    if user is None:
        raise _bad_reset_token()
    check_password_policy(password, email=user.email)
    new_hash = await hash_password(password)

    now = utcnow()
    unused = col(PasswordReset.used_at).is_(None)
    spent = await session.execute(
        sa.update(PasswordReset)
        .where(col(PasswordReset.id) == reset.id, unused)
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise _bad_reset_token()
    await session.execute(
        sa.update(PasswordReset)
        .where(col(PasswordReset.user_id) == user.id, unused)
        .values(used_at=now)
    )
    user.password_hash = new_hash
    await revoke_user_sessions(session, user=user, reason="password_reset")
    await session.commit()
    await clear_login_failures(ctx.services.attempts, email=user.email)


async def _live_reset(
    session: AsyncSession, *, ctx: RequestContext, token: str
) -> PasswordReset:
    if not token.startswith(RESET_PREFIX):
        raise _bad_reset_token()
    result = await session.execute(
        select(PasswordReset).where(
            col(PasswordReset.token_hash) == hash_secret(ctx.config, token)
        )
    )
    reset = result.scalars().first()
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise _bad_reset_token()
    return reset


def _bad_reset_token() -> ValidationFailed:
    return ValidationFailed(
        "Invalid or expired reset token: request a new one",
        field="token",
        reason="invalid_or_expired",
    )
