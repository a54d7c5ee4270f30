"""Password hashing (argon2id) and the password policy.

Hashing runs in a worker thread so that a login never stalls the event loop.
Unknown accounts are verified against a dummy hash of the same cost, so an
unknown email and a wrong password take the same time.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from resolvers.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 128
MEMORY_KIB = 19 * 1024
PASSES = 2

_COMMON = frozenset(
    {
        "password123",
        "password1234",
        "passw0rd123",
        "1234567890",
        "qwertyuiop",
        "qwerty12345",
        "iloveyou123",
        "letmein1234",
        "welcome1234",
        "administrator",
        "abc123456789",
        "changeme123",
    }
)

_hasher = PasswordHasher(
    time_cost=PASSES, memory_cost=MEMORY_KIB, parallelism=1, type=Type.ID
)


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """Refuse a weak password with a VALIDATION_ERROR naming ``password``."""
    if len(password) < MIN_LENGTH:
        _refuse("too_short", f"use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        _refuse("too_long", f"use at most {MAX_LENGTH} characters")
    if password.strip() != password or not password.strip():
        _refuse("surrounding_whitespace", "remove leading or trailing spaces")
    has_letter = any(ch.isalpha() for ch in password)
    has_other = any(not ch.isalpha() for ch in password)
    if not (has_letter and has_other):
        _refuse("too_simple", "mix letters with digits or symbols")
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) < 4:
        _refuse("too_common", "this password is too easy to guess")
    local = (email or "").split("@", 1)[0].lower()
    if len(local) >= 4 and local in lowered:
        _refuse("contains_email", "do not use your email address in the password")


def _refuse(code: str, hint: str) -> None:
    raise ValidationFailed(
        f"Password rejected: {hint}",
        field="password",
        reason=code,
        details={"hint": hint},
    )


async def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; parameters in the string)."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with no hash, a dummy is verified instead."""
    target = password_hash or _dummy_hash()
    matched = await asyncio.to_thread(_verify, target, password)
    return matched and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash was made with weaker parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(24))
