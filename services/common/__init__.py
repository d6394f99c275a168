"""What every service shares: settings, SDK clients, HTTP helpers, idempotency."""
