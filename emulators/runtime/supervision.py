"""Supervision of a running local cloud: a dead emulator comes back on the same address.

A :class:`Supervisor` is asked, once a second by the run loop of ``hybridstack up`` / ``local
up``, to :meth:`~Supervisor.check` the cloud. An emulator process that exited is restarted on the
ports it had (clients, ``hybridstack local env`` and a deployed stack keep their addresses), and
the event says what the restart lost (:func:`lost_on_restart`: an emulator keeps its data in
memory, or on disk only while persisting). After :data:`MAX_RESTARTS` restarts of one emulator,
or when it does not answer again, the supervisor gives up: the event carries the emulator's name,
the last lines of its log and the command that recovers. While persisting, the supervisor also
saves every :data:`CHECKPOINT_SECONDS` what an emulator only keeps in memory (a Firestore export),
which bounds what a crash loses.

Example:
    supervisor = Supervisor(cloud, recovery="hybridstack local down && hybridstack up")
    while True:
        time.sleep(1)
        for event in supervisor.check():
            print(event.message())
            if isinstance(event, GaveUp):
                raise SystemExit(1)
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hybridstack.emulators.runtime.process import EmulatorStartError, log_tail

if TYPE_CHECKING:
    from hybridstack.emulators.runtime.local_cloud import LocalCloud

MAX_RESTARTS = 3
"""Restarts of one emulator in one run before the supervisor gives up (a crash loop)."""
CHECKPOINT_SECONDS = 10.0
"""While persisting: seconds between Firestore exports, the most a Firestore crash loses."""

_LOST_IN_MEMORY = {
    "aws": "every AWS resource and S3 object (MiniStack keeps them in memory)",
    "firebase": "every Auth user (the Functions emulator reloads its codebase)",
    "firestore": "every Firestore document",
    "pubsub": "every topic, subscription and undelivered message",
    "storage": "every Cloud Storage bucket and object",
    "issuer": "nothing (it keeps its signing key)",
}
_LOST_PERSISTING = {
    "aws": "AWS resources created or changed since MiniStack last stopped cleanly "
    "(S3 objects are on disk and kept)",
    "firebase": "Auth users created since this run started (firebase-tools saves them at exit)",
    "firestore": f"Firestore writes of the last {CHECKPOINT_SECONDS:.0f} s at most "
    "(since the last checkpoint)",
    "pubsub": "every topic, subscription and undelivered message (Pub/Sub has no persistence)",
    "storage": "nothing (objects are on disk)",
    "issuer": "nothing (it keeps its signing key)",
}
_STACK_NEEDS = ("aws", "pubsub", "firebase")
"""Processes whose restart loses resources a deployed stack made (a redeploy recreates them)."""


def lost_on_restart(name: str, *, persist: bool) -> str:
    """What a restart of process ``name`` loses, in words."""
    return (_LOST_PERSISTING if persist else _LOST_IN_MEMORY).get(name, "its in-memory state")


@dataclass(frozen=True)
class Restarted:
    """Process ``name`` died with ``code`` and answers again on its address."""

    name: str
    code: int
    seconds: float
    lost: str
    restarts: int
    crashed_log: Path
    """Its log up to the crash (the new process writes a new one)."""
    stack_affected: bool
    """Whether a deployed stack lost resources with it (see :data:`_STACK_NEEDS`)."""

    def message(self) -> str:
        return (
            f"{self.name} emulator died (exit code {self.code}) and was restarted on the same "
            f"address in {self.seconds:.1f} s (restart {self.restarts} of {MAX_RESTARTS}); "
            f"lost: {self.lost}; log of the crash: {self.crashed_log}"
        )


@dataclass(frozen=True)
class GaveUp:
    """Process ``name`` died and was not restarted (too many restarts, or it did not answer)."""

    name: str
    code: int
    reason: str
    log_path: Path
    log_tail: str
    recovery: str

    def message(self) -> str:
        return (
            f"{self.name} emulator died (exit code {self.code}) and {self.reason}; the local "
            f"cloud stops.\n--- last lines of {self.log_path} ---\n{self.log_tail}\n"
            f"recover with: {self.recovery}"
        )


Event = Restarted | GaveUp


class Supervisor:
    """Restarts a :class:`~hybridstack.emulators.runtime.local_cloud.LocalCloud`'s dead emulators
    and
    checkpoints its in-memory data; see the module docstring.

    Args:
        cloud: the started local cloud.
        recovery: the command line that recovers when a restart is not possible.
        max_restarts: restarts of one emulator before giving up.
        checkpoint_seconds: seconds between checkpoints (only while the cloud persists).
    """

    def __init__(
        self,
        cloud: LocalCloud,
        *,
        recovery: str,
        max_restarts: int = MAX_RESTARTS,
        checkpoint_seconds: float = CHECKPOINT_SECONDS,
    ) -> None:
        self.cloud = cloud
        self.recovery = recovery
        self.max_restarts = max_restarts
        self.checkpoint_seconds = checkpoint_seconds
        self._last_checkpoint = time.monotonic()

    def check(self) -> list[Event]:
        """Restart every emulator that exited (or give up on it); checkpoint when due."""
        events: list[Event] = [
            self._recover(name, code) for name, code in self.cloud.exited().items()
        ]
        if not any(isinstance(event, GaveUp) for event in events):
            self._checkpoint_when_due()
        return events

    def _recover(self, name: str, code: int) -> Event:
        restarts = self.cloud.restarts().get(name, 0)
        if restarts >= self.max_restarts:
            return self._gave_up(
                name, code, f"was restarted {restarts} time{'s' if restarts != 1 else ''} already"
            )
        try:
            seconds = self.cloud.restart(name)
        except EmulatorStartError as error:
            return self._gave_up(name, code, f"did not come back: {error.args[0].splitlines()[0]}")
        return Restarted(
            name=name,
            code=code,
            seconds=seconds,
            lost=lost_on_restart(name, persist=self.cloud.persist),
            restarts=restarts + 1,
            crashed_log=self.cloud.crashed_log_path(name),
            stack_affected=name in _STACK_NEEDS,
        )

    def _gave_up(self, name: str, code: int, reason: str) -> GaveUp:
        path = self.cloud.log_path(name)
        return GaveUp(name, code, reason, path, log_tail(path), self.recovery)

    def _checkpoint_when_due(self) -> None:
        if not self.cloud.persist:
            return
        now = time.monotonic()
        if now - self._last_checkpoint < self.checkpoint_seconds:
            return
        self._last_checkpoint = now
        try:
            self.cloud.checkpoint()
        except Exception as error:  # the next checkpoint tries again; say this one failed
            if not self.cloud.exited():  # else it died meanwhile: the next check restarts it
                warnings.warn(f"Firestore checkpoint failed: {error}", stacklevel=2)
