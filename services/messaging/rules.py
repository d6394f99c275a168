"""The platform's Firestore security rules, shipped with the services.

Example:
    RealtimeStore("realtime", {"project": p, "rules_file": str(RULES_PATH)})
    rules_text()   # the source, checked to be closed (no open read/write)
"""

from __future__ import annotations

from pathlib import Path

RULES_PATH = Path(__file__).with_name("firestore.rules")


def rules_text() -> str:
    """The rules source."""
    return RULES_PATH.read_text()
