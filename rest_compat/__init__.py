"""The REST compatibility layer: every documented /v1 route, from one table."""
