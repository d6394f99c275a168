"""Waiting for a condition the way the tests of crashes and restarts do: poll it, never sleep
for a guessed time; a generous limit only turns a hang into a failure naming what never came.

Example:
    state = poll(lambda: read_state(state_dir), "local up recorded its state")
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

GIVE_UP_SECONDS = 180.0  # a guard against a hang on a busy machine, not a measured duration
T = TypeVar("T")


def poll(condition: Callable[[], T | None], what: str, interval: float = 0.1) -> T:
    """``condition()`` once it returns something truthy; fails naming ``what`` if it never does."""
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while not (value := condition()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(interval)
    return value
