"""Billing: subscription, invoices and usage, over ``resolvers.billing``."""
