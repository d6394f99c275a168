"""Placeholder for the hybridstack pytest plugin (local cloud fixtures)."""
