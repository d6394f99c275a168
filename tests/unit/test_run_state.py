"""Who owns a local cloud: ``owner_alive`` answers what ``local down`` / ``status`` / ``deploy``
need to know — whether the process that started the run still runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil

from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.emulators.runtime.run_state import RunState, owner_alive, process_create_time


def _state_of(pid: int) -> RunState:
    return RunState(
        owner_pid=pid,
        owner_create_time=process_create_time(pid),
        project_id="demo-test",
        services=[],
        endpoints=LocalCloudEndpoints(),
        processes={},
        started_at=time.time(),
    )


def test_a_running_owner_is_alive_and_a_recycled_pid_is_not() -> None:
    mine = _state_of(os.getpid())

    assert owner_alive(mine)
    assert not owner_alive(mine.model_copy(update={"owner_create_time": 0.0}))


def test_an_owner_that_exited_is_not_alive_even_before_its_parent_collects_it() -> None:
    """A script that started ``hybridstack up`` and has not waited for it yet: ``local down``
    must not wait for a zombie (it used to, for its whole 30 s timeout)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    state = _state_of(child.pid)
    try:
        while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.01)

        assert not owner_alive(state)
    finally:
        child.wait()
    assert not owner_alive(state)
