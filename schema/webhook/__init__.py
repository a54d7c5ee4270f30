"""Outgoing webhooks in GraphQL."""
