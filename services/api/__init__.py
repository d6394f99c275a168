"""The platform API (HTTP API -> one Lambda): health and the caller's verified identity."""
