"""The health check most emulators answer: an HTTP ``GET`` that returns ``200``.

Firestore, Pub/Sub, Storage (fake-gcs-server) and the local issuer each name the request that
proves they serve; a refused or timed-out connection is "not healthy", never an error.

Example:
    answers_ok("http://127.0.0.1:4443/_internal/healthcheck")   # True once fake-gcs-server serves
"""

from __future__ import annotations

import requests

TIMEOUT = 5.0
"""Seconds a health request may take before the emulator counts as not answering."""


def answers_ok(url: str, timeout: float = TIMEOUT) -> bool:
    """Whether ``GET url`` answers ``200`` within ``timeout`` seconds."""
    try:
        response = requests.get(url, timeout=timeout)
    except requests.RequestException:
        return False
    return response.status_code == 200
