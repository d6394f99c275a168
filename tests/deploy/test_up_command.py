"""``hybridstack up`` (what ``scripts/up`` runs): starts the local cloud, deploys the local stack,
prints its outputs and a passing smoke journey, redeploys from another shell, and leaves nothing
running after Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from hybridstack.emulators.runtime.run_state import read_state

WAIT_SECONDS = 240.0  # start + first deploy + smoke journey on a busy 2-core machine


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status waits for init to collect it)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _reader(stream, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def test_up_deploys_prints_a_passing_smoke_journey_and_stops_cleanly(tmp_path: Path) -> None:
    hybridstack = Path(sys.executable).with_name("hybridstack")
    env = {**os.environ, "HYBRIDSTACK_STATE_DIR": str(tmp_path), "COLUMNS": "200"}
    up = subprocess.Popen(
        [str(hybridstack), "up"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(up.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not any("smoke journey" in line for line in seen):
            assert up.poll() is None or not lines.empty(), "".join(seen)
            assert time.monotonic() < deadline, "".join(seen)
            try:
                seen.append(lines.get(timeout=1.0))
            except queue.Empty:
                continue
        state = read_state(tmp_path)
        assert state is not None
        emulator_pids = [record.pid for record in state.processes.values()]

        redeploy = subprocess.run(
            [str(hybridstack), "deploy"], env=env, capture_output=True, text=True, timeout=300
        )
        up.send_signal(signal.SIGINT)  # Ctrl-C
        up.wait(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    time.sleep(0.5)
    while not lines.empty():
        seen.append(lines.get())
    output = "".join(seen)

    assert "smoke journey passed" in output, output
    assert "apiUrl" in output
    assert "/_aws/execute-api/" in output
    assert "not emulated" in output
    assert "aws:budgets/budget:Budget: ops" in output
    assert "deployed stack local: " in output
    assert redeploy.returncode == 0, redeploy.stdout + redeploy.stderr
    assert " 0 created, 0 updated, " in redeploy.stdout
    assert "local cloud stopped" in output
    assert not [pid for pid in emulator_pids if _running(pid)]
