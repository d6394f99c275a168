"""Supervision: a killed emulator comes back on its address and the run says what was lost; one
that cannot come back stops the cloud with its name, its log and the command that recovers. A
killed owner's emulators are reported as orphans by ``local status`` and removed by the next
start or ``local down`` (in a given state folder and in the default ``./.hybridstack/local``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import psutil
import requests
from typer.testing import CliRunner

from hybridstack.emulators.devtools.cli import app
from hybridstack.emulators.runtime import firestore, ministack, pubsub
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.ports import LOOPBACK
from hybridstack.emulators.runtime.run_state import RunState, read_state
from hybridstack.emulators.runtime.supervision import GaveUp, Restarted, Supervisor
from tests.emulators.polling import GIVE_UP_SECONDS, poll

HYBRIDSTACK = str(Path(sys.executable).with_name("hybridstack"))
runner = CliRunner()


def _running(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


@contextmanager
def local_up(
    services: str, *, cwd: Path, state_dir: Path | None, extra: tuple[str, ...] = ()
) -> Iterator[tuple[subprocess.Popen[str], RunState]]:
    """``hybridstack local up`` as a user runs it, once its state is recorded; killed at exit
    if still running (the test stops it the way it means to)."""
    env = {key: value for key, value in os.environ.items() if key != "HYBRIDSTACK_STATE_DIR"}
    if state_dir is not None:
        env["HYBRIDSTACK_STATE_DIR"] = str(state_dir)
    directory = state_dir or cwd / ".hybridstack" / "local"
    up = subprocess.Popen(
        [HYBRIDSTACK, "local", "up", "--services", services, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**env, "COLUMNS": "250"},
        cwd=cwd,
    )
    try:

        def recorded() -> RunState | None:
            assert up.poll() is None, up.communicate()[0]
            state = read_state(directory)
            return state if state and state.owner_pid == up.pid else None

        yield up, poll(recorded, "local up recorded its state")
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


def _hybridstack(
    *args: str, cwd: Path, state_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "HYBRIDSTACK_STATE_DIR"}
    if state_dir is not None:
        env["HYBRIDSTACK_STATE_DIR"] = str(state_dir)
    return subprocess.run(
        [HYBRIDSTACK, *args],
        cwd=cwd,
        env={**env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=GIVE_UP_SECONDS,
    )


def _group_members(state: RunState) -> set[int]:
    members = set()
    for proc in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(proc.pid) in {record.pgid for record in state.processes.values()}:
                members.add(proc.pid)
        except (ProcessLookupError, OSError):
            continue
    return members


def _restarted(state_dir: Path, name: str, times: int) -> Callable[[], RunState | None]:
    def condition() -> RunState | None:
        state = read_state(state_dir)
        record = state.processes.get(name) if state else None
        return state if record is not None and record.restarts == times else None

    return condition


def test_a_killed_emulator_is_restarted_on_its_address_and_status_says_so(tmp_path: Path) -> None:
    with local_up("aws,firestore", cwd=tmp_path, state_dir=tmp_path) as (up, first):
        s3 = boto3.client(
            "s3",
            endpoint_url=first.endpoints.aws,
            region_name=first.endpoints.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        s3.create_bucket(Bucket="held-in-memory")
        killed = [first.processes["aws"].pid]
        os.kill(first.processes["aws"].pid, signal.SIGKILL)
        after_aws = poll(_restarted(tmp_path, "aws", 1), "MiniStack restarted")

        assert after_aws.endpoints == first.endpoints  # the same addresses for every client
        assert after_aws.processes["aws"].pid != first.processes["aws"].pid
        assert ministack.health(str(after_aws.endpoints.aws))
        assert s3.list_buckets()["Buckets"] == []  # what the message says was lost
        status = runner.invoke(app, ["local", "status", "--state-dir", str(tmp_path)])
        assert status.exit_code == 0, status.output
        aws_row = next(line for line in status.output.splitlines() if "aws" in line)
        assert "healthy (restarted 1x)" in aws_row

        killed.append(first.processes["firestore"].pid)
        os.kill(first.processes["firestore"].pid, signal.SIGKILL)
        after_firestore = poll(_restarted(tmp_path, "firestore", 1), "Firestore restarted")
        assert after_firestore.endpoints.firestore == first.endpoints.firestore
        assert firestore.health(str(first.endpoints.firestore))
        every_process = _group_members(after_firestore) | set(killed)

        down = _hybridstack("local", "down", cwd=tmp_path, state_dir=tmp_path)
        assert down.returncode == 0, down.stdout + down.stderr
        output, _ = up.communicate(timeout=GIVE_UP_SECONDS)
    assert up.returncode == 0, output
    assert "aws emulator died (exit code -9) and was restarted on the same address" in output, (
        output
    )
    assert "lost: every AWS resource and S3 object" in output
    assert "firestore emulator died (exit code -9) and was restarted" in output
    assert "lost: every Firestore document" in output
    assert (tmp_path / "aws.crashed.log").exists()
    assert [pid for pid in every_process if _running(pid)] == []


def test_an_emulator_that_keeps_dying_stops_with_its_log_and_the_command_that_recovers(
    tmp_path: Path,
) -> None:
    with LocalCloud(services=["pubsub"], state_dir=tmp_path) as cloud:
        supervisor = Supervisor(cloud, recovery="hybridstack local down && hybridstack local up",
                                max_restarts=1)  # fmt: skip
        address = cloud.endpoints.pubsub
        os.kill(cloud.pids()["pubsub"], signal.SIGKILL)
        [restarted] = poll(supervisor.check, "the first death noticed")
        assert isinstance(restarted, Restarted)
        assert restarted.lost == "every topic, subscription and undelivered message"
        assert cloud.endpoints.pubsub == address
        assert pubsub.health(str(address))

        os.kill(cloud.pids()["pubsub"], signal.SIGKILL)
        [gave_up] = poll(supervisor.check, "the second death noticed")
    assert isinstance(gave_up, GaveUp)
    message = gave_up.message()
    assert message.startswith(
        "pubsub emulator died (exit code -9) and was restarted 1 time already"
    )
    assert f"--- last lines of {tmp_path / 'pubsub.log'} ---" in message
    assert "io.gapi.emulators" in gave_up.log_tail  # the emulator's own words
    assert message.endswith("recover with: hybridstack local down && hybridstack local up")


def test_an_emulator_that_cannot_get_its_address_back_is_not_moved_elsewhere(
    tmp_path: Path,
) -> None:
    with LocalCloud(services=["pubsub"], state_dir=tmp_path) as cloud:
        supervisor = Supervisor(cloud, recovery="hybridstack local down && hybridstack local up")
        port = int(str(cloud.endpoints.pubsub).rsplit(":", 1)[1])
        os.kill(cloud.pids()["pubsub"], signal.SIGKILL)
        poll(cloud.exited, "the death noticed")
        with socket.socket() as squatter:  # another program took the port meanwhile
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind((LOOPBACK, port))
            squatter.listen()
            [event] = supervisor.check()
    assert isinstance(event, GaveUp)
    assert event.name == "pubsub"
    assert event.reason == (
        f"did not come back: pubsub emulator cannot listen on its address again: port {port} "
        f"is taken by another process (pid {os.getpid()})"
    )
    assert "io.gapi.emulators" in event.log_tail  # the log of the process that died


def _kill_owner_and_check_status(
    up: subprocess.Popen[str], state: RunState, *, cwd: Path, state_dir: Path | None
) -> None:
    up.kill()  # SIGKILL: the owner gets no chance to stop anything
    up.wait()
    pids = {name: record.pid for name, record in state.processes.items()}
    assert all(_running(pid) for pid in pids.values())
    status = _hybridstack("local", "status", cwd=cwd, state_dir=state_dir)
    assert status.returncode == 1
    assert f"its owner (pid {up.pid}) is gone" in status.stdout, status.stdout
    for name, pid in pids.items():
        row = next(line for line in status.stdout.splitlines() if f" {name} " in line)
        assert str(pid) in row
    assert "remove them with: hybridstack local down --state-dir" in status.stdout


def test_a_killed_owners_emulators_are_orphans_until_the_next_up_removes_them(
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "state"
    with local_up("storage,pubsub", cwd=tmp_path, state_dir=state_dir) as (first_up, first):
        _kill_owner_and_check_status(first_up, first, cwd=tmp_path, state_dir=state_dir)
    orphan_processes = _group_members(first)
    assert orphan_processes

    with local_up("storage,pubsub", cwd=tmp_path, state_dir=state_dir) as (second_up, second):
        assert [pid for pid in orphan_processes if _running(pid)] == []
        status = _hybridstack("local", "status", cwd=tmp_path, state_dir=state_dir)
        assert status.returncode == 0, status.stdout + status.stderr
        assert f"owner pid {second_up.pid}" in status.stdout
        down = _hybridstack("local", "down", cwd=tmp_path, state_dir=state_dir)
        assert down.returncode == 0, down.stdout + down.stderr
        output, _ = second_up.communicate(timeout=GIVE_UP_SECONDS)
    assert "stopped what a killed run had left running: " in output, output
    for name, record in first.processes.items():
        assert f"{name} (pid {record.pid})" in output
    assert [pid for pid in _group_members(second) | orphan_processes if _running(pid)] == []


def test_in_the_default_state_folder_orphans_are_reported_and_down_removes_them(
    tmp_path: Path,
) -> None:
    with local_up("storage", cwd=tmp_path, state_dir=None) as (up, state):
        assert (tmp_path / ".hybridstack" / "local" / "state.json").exists()
        _kill_owner_and_check_status(up, state, cwd=tmp_path, state_dir=None)
    orphan_processes = _group_members(state)

    down = _hybridstack("local", "down", cwd=tmp_path)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "stopped what a killed run had left running: storage" in down.stdout
    assert [pid for pid in orphan_processes if _running(pid)] == []
    status = _hybridstack("local", "status", cwd=tmp_path)
    assert status.returncode == 1
    assert "no local cloud is running" in status.stderr

    with local_up("storage", cwd=tmp_path, state_dir=None) as (again, _):
        assert _hybridstack("local", "status", cwd=tmp_path).returncode == 0
        assert _hybridstack("local", "down", cwd=tmp_path).returncode == 0
        output, _ = again.communicate(timeout=GIVE_UP_SECONDS)
    assert "stopped what a killed run had left running" not in output  # nothing was left


def test_a_restarted_issuer_keeps_its_signing_key(tmp_path: Path) -> None:
    with LocalCloud(services=["auth"], state_dir=tmp_path) as cloud:
        jwks = f"{cloud.endpoints.issuer}/.well-known/jwks.json"
        before = requests.get(jwks, timeout=10).json()
        supervisor = Supervisor(cloud, recovery="-")
        os.kill(cloud.pids()["issuer"], signal.SIGKILL)
        [event] = poll(supervisor.check, "the issuer restarted")
        assert isinstance(event, Restarted)
        assert event.lost == "nothing (it keeps its signing key)"
        assert requests.get(jwks, timeout=10).json() == before  # its tokens stay valid
