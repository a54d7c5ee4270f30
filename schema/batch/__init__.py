"""Batch generation in GraphQL."""
