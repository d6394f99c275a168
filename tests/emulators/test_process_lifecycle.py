"""Emulator processes: a death during start is reported with its log, and nothing outlives stop."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from hybridstack.emulators.runtime import pubsub, storage
from hybridstack.emulators.runtime.local_cloud import LocalCloud, LocalCloudAlreadyRunningError
from hybridstack.emulators.runtime.ports import free_port
from hybridstack.emulators.runtime.process import (
    EmulatorStartError,
    Launch,
    ManagedProcess,
    group_pids,
)
from hybridstack.emulators.runtime.run_state import read_state


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_an_emulator_dying_during_start_raises_with_its_last_log_lines(tmp_path: Path) -> None:
    launch = pubsub.launch(free_port(), tmp_path)
    broken = dataclasses.replace(launch, argv=[*launch.argv[:-1], "--port=not-a-port"])
    process = ManagedProcess.spawn(broken, tmp_path)
    with pytest.raises(EmulatorStartError) as caught:
        process.wait_ready(broken.ready, timeout=60)
    message = str(caught.value)
    assert message.startswith("pubsub emulator exited with code")
    assert "NumberFormatException" in message  # the JVM's own words, from the log's tail
    assert str(tmp_path / "pubsub.log") in message
    assert not _alive(process.pid)


def test_stop_leaves_no_process_of_any_emulator_behind(tmp_path: Path) -> None:
    cloud = LocalCloud(services=["aws", "pubsub", "storage"], state_dir=tmp_path)
    cloud.start()
    groups = cloud.pids()
    assert set(groups) == {"aws", "pubsub", "storage"}
    members = {pid for pgid in groups.values() for pid in group_pids(pgid)}
    assert members >= set(groups.values())
    assert all(cloud.health().values())
    cloud.stop()
    assert [pid for pid in members if _alive(pid)] == []
    assert not list(tmp_path.glob("*.pid.json"))
    assert read_state(tmp_path) is None


def test_the_context_manager_stops_everything_when_the_body_fails(tmp_path: Path) -> None:
    pids: dict[str, int] = {}
    cloud = LocalCloud(services=["storage"], state_dir=tmp_path)

    def body() -> None:
        nonlocal pids
        with cloud:
            pids = cloud.pids()
            raise RuntimeError("test body failed")

    with pytest.raises(RuntimeError, match="test body failed"):
        body()
    assert pids
    assert not any(_alive(pid) for pid in pids.values())


def test_two_clouds_cannot_share_a_state_dir(tmp_path: Path) -> None:
    with LocalCloud(services=["storage"], state_dir=tmp_path) as first:
        second = LocalCloud(services=["storage"], state_dir=tmp_path)
        with pytest.raises(LocalCloudAlreadyRunningError, match="hybridstack local down"):
            second.start()
        assert first.health() == {"storage": True}  # the first one was left alone


OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from hybridstack.emulators.runtime.local_cloud import LocalCloud
    cloud = LocalCloud(services=["storage", "aws"], state_dir=Path(sys.argv[1]))
    cloud.start()
    print("ready", flush=True)
    time.sleep(600)
    """
)


def test_the_next_run_stops_what_a_killed_run_left_behind(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        assert owner.stdout.readline().strip() == "ready"
        records = {path.name: json.loads(path.read_text()) for path in tmp_path.glob("*.pid.json")}
        orphans = [record["pid"] for record in records.values()]
        assert len(orphans) == 2
        os.kill(owner.pid, signal.SIGKILL)  # no chance to clean up
        owner.wait(timeout=10)
        time.sleep(0.2)
        assert all(_alive(pid) for pid in orphans)  # the emulators outlived their owner

        with LocalCloud(services=["storage"], state_dir=tmp_path) as cloud:
            assert cloud.endpoints.storage is not None
            assert storage.health(cloud.endpoints.storage)
            assert not any(_alive(pid) for pid in orphans)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()


def test_bad_service_names_and_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown local cloud service\(s\) \['s3'\]"):
        LocalCloud(services=["s3"], state_dir=tmp_path)
    with pytest.raises(ValueError, match="'functions' service needs functions_source"):
        LocalCloud(services=["functions"], state_dir=tmp_path)


def test_default_services_are_all_but_functions(tmp_path: Path) -> None:
    assert LocalCloud(state_dir=tmp_path).services == [
        "aws",
        "auth",
        "firestore",
        "pubsub",
        "storage",
    ]
    with_functions = LocalCloud(state_dir=tmp_path, functions_source=tmp_path)
    assert "functions" in with_functions.services


def test_one_emulator_failing_stops_the_others_and_names_the_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A JAR that is not the Pub/Sub emulator: java starts, then exits with an error.
    from hybridstack.emulators.runtime import tools

    monkeypatch.setenv("HYBRIDSTACK_PUBSUB_EMULATOR_JAR", str(tools.firestore_emulator_jar()))
    spawned: list[ManagedProcess] = []
    real_spawn = ManagedProcess.spawn

    def recording_spawn(launch: Launch, run_dir: Path) -> ManagedProcess:
        process = real_spawn(launch, run_dir)
        spawned.append(process)
        return process

    monkeypatch.setattr(ManagedProcess, "spawn", recording_spawn)
    seen: dict[str, list[str]] = {}
    cloud = LocalCloud(services=["aws", "pubsub", "storage"], state_dir=tmp_path)
    with pytest.raises(EmulatorStartError) as caught:
        cloud.start(progress=lambda service, status: seen.setdefault(service, []).append(status))
    assert caught.value.name == "pubsub"
    assert "no main manifest attribute" in str(caught.value)
    assert seen["pubsub"] == ["starting", "failed"]
    assert not cloud.running
    assert not list(tmp_path.glob("*.pid.json"))
    assert sorted(process.name for process in spawned) == ["aws", "pubsub", "storage"]
    assert [process.name for process in spawned if group_pids(process.pgid)] == []
