"""Billing: Stripe when STRIPE_API_KEY is set, a local provider otherwise."""

from __future__ import annotations

from harvest.adapters.billing.base import make_billing_provider

__all__ = ["make_billing_provider"]
