"""Waiting for what happens asynchronously, the way a client app would see it: a Firestore
listener on a document, or polling an SDK call until it answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

WAIT_SECONDS = 60.0  # how long an asynchronous outcome may take before the test gives up


class DocumentWatch:
    """A Firestore listener on one document, as a client app keeps one open. Entering waits
    for the listener's first snapshot, so nothing that happens afterwards is missed.

    Example:
        with DocumentWatch(db, "media/m1") as watch:
            ...                                        # cause the change
            snapshot = watch.wait_for(lambda d: d.get("status") == "ready")
    """

    def __init__(self, client: Any, path: str) -> None:
        self.path = path
        self._reference = client.document(path)
        self._changed = threading.Condition()
        self.seen: list[dict[str, Any]] = []
        self._listening = threading.Event()
        self._watch: Any = None

    def __enter__(self) -> DocumentWatch:
        def on_snapshot(snapshots: list[Any], changes: Any, read_time: Any) -> None:
            del changes, read_time
            with self._changed:
                for snapshot in snapshots:
                    if snapshot.exists:
                        self.seen.append(snapshot.to_dict())
                self._listening.set()
                self._changed.notify_all()

        self._watch = self._reference.on_snapshot(on_snapshot)
        if not self._listening.wait(WAIT_SECONDS):
            self._watch.unsubscribe()
            raise AssertionError(f"the listener on {self.path} never delivered its first snapshot")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._watch is not None:
            self._watch.unsubscribe()

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT_SECONDS
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for document in self.seen:
                    if predicate(document):
                        return document
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"the listener on {self.path} never saw the expected state; it saw "
                        f"{self.seen[-3:] or 'nothing'}"
                    )
                self._changed.wait(remaining)


def eventually(
    probe: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS, interval: float = 0.2
) -> Any:
    """Poll ``probe`` until it returns something truthy; its value, or an AssertionError."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s (last: {last!r})")
