"""Forged, stale and misused bearer credentials, built from a user and the
server's secret.

The first thirteen come from ``tests/auth/test_access_tokens.py``; the rest add
the algorithm swaps both ways, unknown key ids, time bounds, a real refresh
token and a token of a retired signing key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from models.base import utcnow
from models.user import User
from resolvers.auth_tokens import issue_access_token
from resolvers.context import AppConfig
from tests.auth.test_access_tokens import FORGERIES as AUTH_FORGERIES
from tests.auth.test_access_tokens import _b64, claims_for


@dataclass(frozen=True)
class Subject:
    """What a forger works from: the server's config, a user, and the user's
    real refresh token (a different kind of credential)."""

    config: AppConfig
    user: User
    refresh_token: str

    @property
    def secret(self) -> str:
        return self.config.secret_key


Forgery = Callable[[Subject], str]

_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_EC_KEY = ec.generate_private_key(ec.SECP256R1())
_RSA_PUBLIC_PEM = _RSA_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def _signed(subject: Subject, **changes: object) -> str:
    return jwt.encode(claims_for(subject.user.id, **changes), subject.secret, "HS256")


def rs256_of_an_attacker(subject: Subject) -> str:
    """HS256 server, RS256 token signed with the attacker's own key."""
    return jwt.encode(claims_for(subject.user.id), _RSA_KEY, "RS256")


def es256_of_an_attacker(subject: Subject) -> str:
    return jwt.encode(claims_for(subject.user.id), _EC_KEY, "ES256")


def rs256_header_over_an_hmac_signature(subject: Subject) -> str:
    """The header claims RS256, the signature is HMAC with the server secret."""
    good = _signed(subject)
    _, payload, signature = good.split(".")
    return f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{payload}.{signature}"


def hmac_keyed_with_a_public_key(subject: Subject) -> str:
    """Key confusion: HS256 keyed with an RSA public key (PEM bytes)."""
    head = _b64({"alg": "HS256", "typ": "JWT"})
    body = _b64(claims_for(subject.user.id))
    mac = hmac.new(_RSA_PUBLIC_PEM, f"{head}.{body}".encode(), hashlib.sha256)
    signature = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    return f"{head}.{body}.{signature}"


def alg_none_capitalised(subject: Subject) -> str:
    return f"{_b64({'alg': 'None', 'typ': 'JWT'})}.{_b64(claims_for(subject.user.id))}."


def unknown_kid(subject: Subject) -> str:
    return jwt.encode(
        claims_for(subject.user.id),
        subject.secret,
        "HS256",
        headers={"kid": "2019-retired-key"},
    )


def crit_header(subject: Subject) -> str:
    return jwt.encode(
        claims_for(subject.user.id), subject.secret, "HS256", headers={"crit": ["exp"]}
    )


def not_yet_valid(subject: Subject) -> str:
    now = int(utcnow().timestamp())
    return _signed(subject, nbf=now + 3600, exp=now + 7200)


def issued_in_the_future(subject: Subject) -> str:
    now = int(utcnow().timestamp())
    return _signed(subject, iat=now + 3600, exp=now + 7200)


def without_exp(subject: Subject) -> str:
    return _signed(subject, exp=None)


def wrong_typ(subject: Subject) -> str:
    return _signed(subject, typ="id")


def without_typ(subject: Subject) -> str:
    return _signed(subject, typ=None)


def unknown_subject(subject: Subject) -> str:
    return _signed(subject, sub="usr_doesnotexist000")


def refresh_token_as_access_token(subject: Subject) -> str:
    return subject.refresh_token


def tampered_signature(subject: Subject) -> str:
    head, payload, signature = _signed(subject).split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{head}.{payload}.{flipped}"


def stripped_signature(subject: Subject) -> str:
    head, payload, _ = _signed(subject).split(".")
    return f"{head}.{payload}."


def retired_signing_key(subject: Subject) -> str:
    """A token this server issued before HARVEST_SECRET_KEY was rotated."""
    retired = replace(subject.config, secret_key="retired-" + "k" * 48)
    token, _ = issue_access_token(retired, subject.user)
    return token


def not_a_jwt(subject: Subject) -> str:
    return "definitely.not.a-token"


def api_key_lookalike(subject: Subject) -> str:
    return "hv_" + "A" * 40


def _from_auth(name: str) -> Forgery:
    make = AUTH_FORGERIES[name]
    return lambda subject: make(subject.secret, subject.user.id)


FORGERIES: dict[str, Forgery] = {
    **{name: _from_auth(name) for name in AUTH_FORGERIES},
    "rs256_of_an_attacker": rs256_of_an_attacker,
    "es256_of_an_attacker": es256_of_an_attacker,
    "rs256_header_over_an_hmac_signature": rs256_header_over_an_hmac_signature,
    "hmac_keyed_with_a_public_key": hmac_keyed_with_a_public_key,
    "alg_none_capitalised": alg_none_capitalised,
    "unknown_kid": unknown_kid,
    "crit_header": crit_header,
    "not_yet_valid": not_yet_valid,
    "issued_in_the_future": issued_in_the_future,
    "without_exp": without_exp,
    "wrong_typ": wrong_typ,
    "without_typ": without_typ,
    "unknown_subject": unknown_subject,
    "refresh_token_as_access_token": refresh_token_as_access_token,
    "tampered_signature": tampered_signature,
    "stripped_signature": stripped_signature,
    "retired_signing_key": retired_signing_key,
    "not_a_jwt": not_a_jwt,
    "api_key_lookalike": api_key_lookalike,
}

EXPIRED = {"expired"}
