"""Harvest's wiring: settings, the ASGI app factory, the CLI and the adapters."""
