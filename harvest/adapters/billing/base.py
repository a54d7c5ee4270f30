"""Choose the billing provider for the settings."""

from __future__ import annotations

from harvest.adapters.billing.local import LocalBillingProvider
from harvest.settings import Settings
from resolvers.ports import BillingProvider


def make_billing_provider(settings: Settings) -> BillingProvider:
    """Stripe when ``STRIPE_API_KEY`` is set; the local provider otherwise."""
    if settings.stripe_api_key:
        from harvest.adapters.billing.stripe import StripeBillingProvider

        return StripeBillingProvider(
            api_key=settings.stripe_api_key,
            webhook_secret=settings.stripe_webhook_secret,
            base_url=settings.stripe_base_url,
        )
    return LocalBillingProvider()
