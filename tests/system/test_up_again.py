"""``hybridstack up`` again and again in one checkout's default state folder
(``./.hybridstack/local``), as a developer runs it day after day: after ``local down``, and after
``kill -9`` of the previous ``up``. Each run reaches its smoke journey (sign-up through the
blocking function in the Functions emulator, whose codebase lives under that dot-folder), and
nothing of any run is left running at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from hybridstack.emulators.run_state import STATE_DIR_VARIABLE, read_state

SMOKE_PASSED = "smoke journey passed"
SMOKE_FAILED = "smoke journey FAILED"
START_LIMIT_SECONDS = 600.0  # a bound on waiting, not a figure this test asserts


def _environment() -> dict[str, str]:
    """This shell's environment without anything pointing at another local cloud."""
    pointing = ("_EMULATOR_HOST", "_EMULATOR_HUB", "AWS_ENDPOINT_URL", "HYBRIDSTACK_")
    return {
        name: value
        for name, value in os.environ.items()
        if not any(marker in name for marker in pointing) and name != STATE_DIR_VARIABLE
    }


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Up:
    """One ``hybridstack up`` in ``checkout``, its output in a file."""

    def __init__(self, checkout: Path, run: int) -> None:
        self.checkout = checkout
        self.output_path = checkout / f"up-{run}.out"
        with self.output_path.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hybridstack", "up"],
                cwd=checkout,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=_environment(),
            )

    @property
    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait_for_smoke(self) -> list[int]:
        """Until the smoke journey's verdict; the emulator pids of this run."""
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while SMOKE_PASSED not in self.output:
            assert SMOKE_FAILED not in self.output, self.output
            assert self.process.poll() is None, self.output
            assert time.monotonic() < deadline, self.output
            time.sleep(0.5)
        state = read_state(self.checkout / ".hybridstack" / "local")
        assert state is not None, self.output
        assert state.owner_pid == self.process.pid
        return [record.pid for record in state.processes.values()]

    def down(self) -> None:
        finished = subprocess.run(
            [sys.executable, "-m", "hybridstack", "local", "down"],
            cwd=self.checkout,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert self.process.wait(timeout=120) == 0, self.output

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_up_works_again_after_down_and_after_kill_9_in_the_default_state_folder(
    tmp_path: Path,
) -> None:
    runs: list[Up] = []
    pids: list[int] = []
    try:
        first = Up(tmp_path, 1)
        runs.append(first)
        pids += first.wait_for_smoke()
        first.down()
        assert not [pid for pid in pids if _alive(pid)]

        second = Up(tmp_path, 2)  # same checkout, same .hybridstack/local
        runs.append(second)
        pids += second.wait_for_smoke()
        second.kill()  # kill -9: no chance to stop its emulators

        third = Up(tmp_path, 3)
        runs.append(third)
        pids += third.wait_for_smoke()
        third.down()
    finally:
        for run in runs:
            run.end()
        subprocess.run(  # whatever a failed assertion left running
            [sys.executable, "-m", "hybridstack", "local", "down"],
            cwd=tmp_path,
            env=_environment(),
            capture_output=True,
            timeout=120,
            check=False,
        )

    assert not [pid for pid in pids if _alive(pid)]
    assert read_state(tmp_path / ".hybridstack" / "local") is None
    assert not list((tmp_path / ".hybridstack" / "local").glob("*.pid.json"))
