"""A loopback OAuth 2 authorization server, enough to sign in through.

It serves the authorization endpoint (a 302 back to the client's redirect URI
with a code and the state), the token endpoint (checks the client secret, the
redirect URI and the PKCE verifier when a challenge was sent), an OpenID
Connect userinfo endpoint and GitHub's ``/user`` and ``/user/emails``.
Everyone who visits the authorization endpoint is the ``profile`` set on it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "harvest-test-client"
CLIENT_SECRET = "harvest-test-secret"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str | None
    profile: dict[str, Any]


@dataclass
class OAuthProviderPeer:
    """The server's state; ``profile`` is the user who consents next."""

    profile: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "peer-user-1",
            "email": "oauth.user@example.com",
            "email_verified": True,
            "name": "Olive Auth",
            "picture": "https://images.example.com/olive.png",
        }
    )
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/authorize":
                    peer._authorize(self, query)
                elif parts.path in ("/userinfo", "/user", "/user/emails"):
                    peer._resource(self, parts.path)
                else:
                    _json(self, 404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                if urlsplit(self.path).path == "/token":
                    peer._token(self, form)
                else:
                    _json(self, 404, {"error": "not_found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _authorize(self, handler: BaseHTTPRequestHandler, q: dict[str, str]) -> None:
        self.authorize_requests.append(q)
        if q.get("response_type") != "code" or q.get("client_id") != CLIENT_ID:
            _json(handler, 400, {"error": "invalid_request"})
            return
        if q.get("code_challenge") and q.get("code_challenge_method") != "S256":
            _json(handler, 400, {"error": "invalid_request"})
            return
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(
            client_id=q["client_id"],
            redirect_uri=q.get("redirect_uri", ""),
            challenge=q.get("code_challenge"),
            profile=dict(self.profile),
        )
        target = (
            q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
        )
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _token(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        self.token_requests.append(form)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = handler.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            decoded = base64.b64decode(auth[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        if client_id != CLIENT_ID or secret != CLIENT_SECRET:
            _json(handler, 401, {"error": "invalid_client"})
            return
        grant = self.grants.pop(form.get("code", ""), None)
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.redirect_uri != form.get("redirect_uri")
        ):
            _json(handler, 400, {"error": "invalid_grant"})
            return
        if grant.challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if expected != grant.challenge:
                _json(handler, 400, {"error": "invalid_grant", "detail": "pkce"})
                return
        token = secrets.token_urlsafe(24)
        self.tokens[token] = grant.profile
        _json(
            handler,
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600},
        )

    def _resource(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        auth = handler.headers.get("authorization", "")
        profile = self.tokens.get(auth.partition(" ")[2])
        if not auth.lower().startswith("bearer ") or profile is None:
            _json(handler, 401, {"error": "invalid_token"})
            return
        if path == "/userinfo":
            _json(handler, 200, profile)
        elif path == "/user":
            _json(
                handler,
                200,
                {
                    "id": int(profile.get("github_id", 4242)),
                    "login": "olive",
                    "name": profile.get("name"),
                    "avatar_url": profile.get("picture"),
                    "email": None,
                },
            )
        else:
            _json(
                handler,
                200,
                [
                    {"email": "old@example.com", "verified": False, "primary": False},
                    {
                        "email": profile["email"],
                        "verified": bool(profile.get("email_verified")),
                        "primary": True,
                    },
                ],
            )


def _json(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
