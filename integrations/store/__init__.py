"""Shared state: Redis in production, an embedded in-memory store for the zero-setup demo."""
