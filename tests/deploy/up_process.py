"""``hybridstack up`` as a user runs it, in a subprocess whose output is read line by line.

Example:
    with UpProcess(["up", "--persist"], state_dir) as up:
        up.wait_for("smoke journey")
        ...
        output = up.stop()            # Ctrl-C, then everything it printed
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

WAIT_SECONDS = 300.0  # start + deploy + smoke journey on a busy 2-core machine: a hang guard
HYBRIDSTACK = str(Path(sys.executable).with_name("hybridstack"))


def _own_environment() -> dict[str, str]:
    """This process's environment without anything pointing at another local cloud."""
    pointing = ("_EMULATOR_HOST", "_EMULATOR_HUB", "AWS_ENDPOINT_URL", "HYBRIDSTACK_")
    return {
        name: value
        for name, value in os.environ.items()
        if not any(marker in name for marker in pointing)
    }


class UpProcess:
    """A ``hybridstack`` command running in ``state_dir``, or (``state_dir=None``) in the default
    state folder of ``checkout`` (``./.hybridstack/local``), as a user runs it there; see the
    module docstring."""

    def __init__(
        self, args: list[str], state_dir: Path | None, *, checkout: Path | None = None
    ) -> None:
        self.env = {**_own_environment(), "COLUMNS": "250"}
        if state_dir is not None:
            self.env["HYBRIDSTACK_STATE_DIR"] = str(state_dir)
        self.checkout = checkout
        self.process = subprocess.Popen(
            [HYBRIDSTACK, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env,
            cwd=checkout,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)

    def output(self) -> str:
        """Everything printed so far."""
        while not self._lines.empty():
            self._seen.append(self._lines.get())
        return "".join(self._seen)

    def wait_for(self, text: str, after: int = 0) -> str:
        """Wait until a line containing ``text`` was printed (past the first ``after``
        characters); everything printed so far. Fails with the output if it never comes."""
        deadline = time.monotonic() + WAIT_SECONDS
        while text not in self.output()[after:]:
            assert self.process.poll() is None or not self._lines.empty(), self.output()
            assert time.monotonic() < deadline, self.output()
            try:
                self._seen.append(self._lines.get(timeout=1.0))
            except queue.Empty:
                continue
        return self.output()

    def stop(self) -> str:
        """Ctrl-C, wait for the exit; everything it printed."""
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=120)
        self._reader.join(timeout=30)
        return self.output()

    def __enter__(self) -> UpProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:  # the test failed: leave no emulator behind
            self.process.kill()
            self.process.wait()
            self.down()

    def down(self) -> subprocess.CompletedProcess[str]:
        """``hybridstack local down`` from another shell of the same checkout."""
        return subprocess.run(
            [HYBRIDSTACK, "local", "down"],
            env=self.env,
            cwd=self.checkout,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def kill(self) -> None:
        """``kill -9``: no chance to stop its emulators."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
