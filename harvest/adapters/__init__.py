"""Adapters to the outside world, each implementing a Protocol of resolvers.ports."""
