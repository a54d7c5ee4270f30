"""A loopback HTTP server speaking the slice of Stripe's API that Harvest uses.

Requests arrive form-encoded with bracketed keys (``items[0][price]``), as the
stripe SDK sends them; answers are Stripe's JSON objects and error envelopes.
State lives in memory. The server also plays Stripe's side of webhooks: it
signs an event the way Stripe does and posts it to Harvest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

API_KEY = "sk_test_harvest_peer"
WEBHOOK_SECRET = "whsec_harvest_peer_secret"
PERIOD_SECONDS = 30 * 24 * 3600

CARDS: dict[str, dict[str, Any] | None] = {
    "pm_card_visa": {"brand": "visa", "last4": "4242", "exp_month": 12},
    "pm_card_mastercard": {"brand": "mastercard", "last4": "4444", "exp_month": 6},
    "pm_card_chargeDeclined": None,
}


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Bracketed form keys as nested dicts; numeric indexes become lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    decoded: dict[str, Any] = _lists(root)
    return decoded


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_lists(node[k]) for k in sorted(node, key=int)]
    return {k: _lists(v) for k, v in node.items()}


class StripeFailure(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def missing(kind: str, ident: str, param: str | None = None) -> StripeFailure:
    return StripeFailure(
        404 if param is None else 400,
        {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": f"No such {kind}: '{ident}'",
            "param": param,
        },
    )


@dataclass
class StripeState:
    base_url: str = ""
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    coupons: dict[str, int] = field(default_factory=lambda: {"SAVE20": 20})
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    replies: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    content_types: list[str] = field(default_factory=list)
    invoice_count: int = 0

    def __post_init__(self) -> None:
        for tier, cents in (("pro", 2900), ("enterprise", 9900)):
            price_id = f"price_{tier}"
            self.prices[price_id] = {
                "id": price_id,
                "object": "price",
                "active": True,
                "currency": "usd",
                "unit_amount": cents,
                "lookup_key": f"harvest_{tier}",
                "recurring": {"interval": "month"},
            }

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(8)}"


class StripePeer:
    """The server, its state, and Stripe's side of webhook deliveries."""

    def __init__(self) -> None:
        self.state = StripeState()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.state.base_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> StripePeer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls(self, method: str, path_prefix: str) -> list[dict[str, Any]]:
        """The decoded parameters of every request to ``path_prefix``."""
        return [
            params
            for m, path, params in self.state.requests
            if m == method and path.startswith(path_prefix)
        ]

    def event(self, type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """A Stripe event object wrapping ``obj``."""
        return {
            "id": self.state.new_id("evt"),
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "type": type,
            "livemode": False,
            "data": {"object": obj},
        }


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, computed as Stripe does."""
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


async def deliver(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    *,
    secret: str = WEBHOOK_SECRET,
    at: int | None = None,
) -> httpx.Response:
    """Post ``event`` to Harvest's webhook route, signed."""
    payload = json.dumps(event).encode()
    return await client.post(
        "/v1/billing/webhook",
        content=payload,
        headers={
            "Stripe-Signature": sign(payload, secret=secret, at=at),
            "Content-Type": "application/json",
        },
    )


def _handler(state: StripeState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = decode_form(parse_qsl(url.query) + parse_qsl(body))
            state.requests.append((method, url.path, params))
            if body:
                state.content_types.append(self.headers.get("Content-Type", ""))
            try:
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    raise StripeFailure(
                        401,
                        {
                            "type": "invalid_request_error",
                            "message": "Invalid API Key provided",
                        },
                    )
                key = self.headers.get("Idempotency-Key")
                if method == "POST" and key in state.replies:
                    status, answer = state.replies[key]
                else:
                    status, answer = 200, route(state, method, url.path, params)
                    if method == "POST" and key:
                        state.replies[key] = (status, answer)
            except StripeFailure as failure:
                status, answer = failure.status, {"error": failure.error}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_" + secrets.token_hex(6))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def route(
    state: StripeState, method: str, path: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Dispatch one API request."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["v1", "customers"] and method == "POST":
        if len(parts) == 2:
            return create_customer(state, params)
        return update_customer(state, parts[2], params)
    if parts[:2] == ["v1", "payment_methods"] and parts[-1] == "attach":
        return attach(state, parts[2], params)
    if parts == ["v1", "prices"] and method == "GET":
        keys = params.get("lookup_keys") or []
        data = [p for p in state.prices.values() if p["lookup_key"] in keys]
        return {"object": "list", "data": data, "has_more": False, "url": path}
    if parts[:2] == ["v1", "subscriptions"]:
        if len(parts) == 2 and method == "POST":
            return create_subscription(state, params)
        if len(parts) == 3:
            if method == "GET":
                return render_subscription(state, _sub(state, parts[2]), params)
            if method == "POST":
                return update_subscription(state, parts[2], params)
            if method == "DELETE":
                return cancel_subscription(state, parts[2], params)
    raise StripeFailure(
        404,
        {
            "type": "invalid_request_error",
            "message": f"Unrecognized request URL ({method}: {path})",
        },
    )


def create_customer(state: StripeState, params: dict[str, Any]) -> dict[str, Any]:
    customer = {
        "id": state.new_id("cus"),
        "object": "customer",
        "email": params.get("email"),
        "metadata": params.get("metadata") or {},
        "invoice_settings": {"default_payment_method": None},
    }
    state.customers[str(customer["id"])] = customer
    return customer


def update_customer(
    state: StripeState, customer_id: str, params: dict[str, Any]
) -> dict[str, Any]:
    customer = state.customers.get(customer_id)
    if customer is None:
        raise missing("customer", customer_id)
    settings = params.get("invoice_settings") or {}
    if "default_payment_method" in settings:
        customer["invoice_settings"]["default_payment_method"] = settings[
            "default_payment_method"
        ]
    return customer


def attach(state: StripeState, pm_id: str, params: dict[str, Any]) -> dict[str, Any]:
    customer_id = params.get("customer", "")
    if customer_id not in state.customers:
        raise missing("customer", customer_id, "customer")
    if pm_id not in CARDS:
        raise missing("PaymentMethod", pm_id, "payment_method")
    card = CARDS[pm_id]
    if card is None:
        raise StripeFailure(
            402,
            {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "param": "",
            },
        )
    method = {
        "id": pm_id,
        "object": "payment_method",
        "type": "card",
        "customer": customer_id,
        "card": {**card, "exp_year": 2034},
    }
    state.payment_methods[pm_id] = method
    return method


def _sub(state: StripeState, sub_id: str) -> dict[str, Any]:
    if sub_id not in state.subscriptions:
        raise missing("subscription", sub_id)
    return state.subscriptions[sub_id]


def _price(state: StripeState, price_id: str, param: str) -> dict[str, Any]:
    if price_id not in state.prices:
        raise missing("price", price_id, param)
    return state.prices[price_id]


def _percent_off(state: StripeState, params: dict[str, Any]) -> int:
    discounts = params.get("discounts") or []
    if not discounts:
        return 0
    code = discounts[0].get("coupon", "")
    if code not in state.coupons:
        raise missing("coupon", code, "discounts[0][coupon]")
    return state.coupons[code]


def _invoice(
    state: StripeState, sub: dict[str, Any], amount: int, reason: str
) -> dict[str, Any]:
    state.invoice_count += 1
    invoice_id = state.new_id("in")
    item = sub["items"]["data"][0]
    invoice = {
        "id": invoice_id,
        "object": "invoice",
        "number": f"PEER-{state.invoice_count:04d}",
        "customer": sub["customer"],
        "currency": "usd",
        "total": amount,
        "amount_due": amount,
        "amount_paid": amount,
        "status": "paid",
        "billing_reason": reason,
        "invoice_pdf": f"{state.base_url}/files/{invoice_id}.pdf",
        "created": int(time.time()),
        "period_start": item["current_period_start"],
        "period_end": item["current_period_end"],
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub["id"]},
        },
    }
    state.invoices[invoice_id] = invoice
    sub["latest_invoice"] = invoice_id
    return invoice


def create_subscription(state: StripeState, params: dict[str, Any]) -> dict[str, Any]:
    customer = state.customers.get(params.get("customer", ""))
    if customer is None:
        raise missing("customer", params.get("customer", ""), "customer")
    price = _price(state, params["items"][0]["price"], "items[0][price]")
    percent = _percent_off(state, params)
    pm = params.get("default_payment_method") or customer["invoice_settings"].get(
        "default_payment_method"
    )
    if not pm:
        raise StripeFailure(
            400,
            {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": "This customer has no attached payment source or "
                "default payment method.",
                "param": "default_payment_method",
            },
        )
    now = int(time.time())
    sub_id = state.new_id("sub")
    sub = {
        "id": sub_id,
        "object": "subscription",
        "customer": customer["id"],
        "status": "active",
        "cancel_at_period_end": False,
        "cancel_at": None,
        "canceled_at": None,
        "default_payment_method": pm,
        "metadata": params.get("metadata") or {},
        "discounts": params.get("discounts") or [],
        "items": {
            "object": "list",
            "data": [
                {
                    "id": state.new_id("si"),
                    "object": "subscription_item",
                    "price": price,
                    "quantity": 1,
                    "current_period_start": now,
                    "current_period_end": now + PERIOD_SECONDS,
                }
            ],
        },
        "latest_invoice": None,
    }
    state.subscriptions[sub_id] = sub
    amount = price["unit_amount"] - round(price["unit_amount"] * percent / 100)
    _invoice(state, sub, amount, "subscription_create")
    return render_subscription(state, sub, params)


def update_subscription(
    state: StripeState, sub_id: str, params: dict[str, Any]
) -> dict[str, Any]:
    sub = _sub(state, sub_id)
    if "cancel_at_period_end" in params:
        ending = params["cancel_at_period_end"] == "true"
        sub["cancel_at_period_end"] = ending
        item = sub["items"]["data"][0]
        sub["cancel_at"] = item["current_period_end"] if ending else None
        sub["canceled_at"] = int(time.time()) if ending else None
    if params.get("items"):
        change = params["items"][0]
        item = sub["items"]["data"][0]
        if change.get("id") != item["id"]:
            raise missing("subscription item", change.get("id", ""), "items[0][id]")
        old = item["price"]
        new = _price(state, change["price"], "items[0][price]")
        item["price"] = new
        if params.get("proration_behavior") == "always_invoice":
            remaining = (item["current_period_end"] - time.time()) / PERIOD_SECONDS
            owed = round((new["unit_amount"] - old["unit_amount"]) * remaining)
            _invoice(state, sub, max(owed, 0), "subscription_update")
    if params.get("discounts"):
        _percent_off(state, params)
        sub["discounts"] = params["discounts"]
    if params.get("default_payment_method"):
        sub["default_payment_method"] = params["default_payment_method"]
    if params.get("metadata"):
        sub["metadata"] = {**sub["metadata"], **params["metadata"]}
    return render_subscription(state, sub, params)


def cancel_subscription(
    state: StripeState, sub_id: str, params: dict[str, Any]
) -> dict[str, Any]:
    sub = _sub(state, sub_id)
    now = int(time.time())
    sub.update(status="canceled", canceled_at=now, ended_at=now, cancel_at=None)
    return render_subscription(state, sub, params)


def render_subscription(
    state: StripeState, sub: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """The subscription, with the fields named in ``expand`` expanded."""
    out: dict[str, Any] = json.loads(json.dumps(sub))
    expand = params.get("expand") or []
    if "latest_invoice" in expand and out.get("latest_invoice"):
        out["latest_invoice"] = state.invoices[out["latest_invoice"]]
    pm = out.get("default_payment_method")
    if "default_payment_method" in expand and pm in state.payment_methods:
        out["default_payment_method"] = state.payment_methods[pm]
    return out
