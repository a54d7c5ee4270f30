"""Shared failure counters for login throttling."""
