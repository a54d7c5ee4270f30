"""Prompt templates: variables, rendering, ratings and use."""
