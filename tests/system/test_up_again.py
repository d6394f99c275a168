"""``hybridstack up`` again and again in one checkout's default state folder
(``./.hybridstack/local``), as a developer runs it day after day: after ``local down``, and after
``kill -9`` of the previous ``up``. Each run reaches its smoke journey (sign-up through the
blocking function in the Functions emulator, whose codebase lives under that dot-folder), and
nothing of any run is left running at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

import psutil

from hybridstack.emulators.runtime.run_state import disk_usage, read_state
from tests.deploy.up_process import UpProcess
from tests.repository import REPOSITORY

SMOKE = "smoke journey passed"
STATE_FOLDER_BOUND_MIB = 20  # a run's Lambda workers used 120 MiB, and 161 MiB each before


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _until_smoke(up: UpProcess, checkout: Path) -> list[int]:
    """Wait for the smoke journey to pass; the emulator pids of this run."""
    output = up.wait_for(SMOKE)
    assert "smoke journey FAILED" not in output, output
    state = read_state(checkout / ".hybridstack" / "local")
    assert state is not None, output
    assert state.owner_pid == up.process.pid
    return [record.pid for record in state.processes.values()]


def test_up_works_again_after_down_and_after_kill_9_in_the_default_state_folder(
    tmp_path: Path,
) -> None:
    pids: list[int] = []
    with UpProcess(["up", "--project-dir", str(REPOSITORY)], None, checkout=tmp_path) as first:
        pids += _until_smoke(first, tmp_path)
        down = first.down()
        assert down.returncode == 0, down.stdout + down.stderr
        assert first.process.wait(timeout=120) == 0, first.output()
    assert not [pid for pid in pids if _alive(pid)]

    with UpProcess(
        ["up", "--project-dir", str(REPOSITORY)], None, checkout=tmp_path
    ) as second:  # same .hybridstack/local
        pids += _until_smoke(second, tmp_path)
        second.kill()

    with UpProcess(["up", "--project-dir", str(REPOSITORY)], None, checkout=tmp_path) as third:
        pids += _until_smoke(third, tmp_path)
        down = third.down()
        assert down.returncode == 0, down.stdout + down.stderr
        assert third.process.wait(timeout=120) == 0, third.output()
    # what three runs left on disk is said, and small: logs, the functions codebase, deploy state
    reported = re.search(r"state folder .*: ([0-9.]+) MiB", down.stdout)
    assert reported, down.stdout
    assert float(reported.group(1)) < STATE_FOLDER_BOUND_MIB
    assert disk_usage(tmp_path / ".hybridstack") < STATE_FOLDER_BOUND_MIB * 1024 * 1024

    assert not [pid for pid in pids if _alive(pid)]
    assert read_state(tmp_path / ".hybridstack" / "local") is None
    assert not list((tmp_path / ".hybridstack" / "local").glob("*.pid.json"))
