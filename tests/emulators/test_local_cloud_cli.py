"""``hybridstack local ...``: what a user sees from another shell while a local cloud runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests
from typer.testing import CliRunner

from hybridstack.emulators.devtools.cli import app
from hybridstack.emulators.devtools.cli import local as local_cli
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.run_state import read_state

runner = CliRunner()


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status waits for init to collect it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    state_dir = tmp_path_factory.mktemp("cli-state")
    with LocalCloud(services=["storage", "pubsub"], state_dir=state_dir) as cloud:
        yield cloud


def test_env_prints_export_lines_for_the_running_cloud(running: LocalCloud) -> None:
    result = runner.invoke(app, ["local", "env", "--state-dir", str(running.state_dir)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"export STORAGE_EMULATOR_HOST={running.endpoints.storage}" in lines
    assert f"export PUBSUB_EMULATOR_HOST={running.endpoints.pubsub}" in lines
    assert "export GOOGLE_CLOUD_PROJECT=demo-hybridstack" in lines
    assert all(line.startswith("export ") for line in lines)
    assert not any("AWS_ENDPOINT_URL" in line for line in lines)  # aws is not running


def test_env_output_is_what_a_shell_evaluates(running: LocalCloud) -> None:
    result = runner.invoke(app, ["local", "env", "--state-dir", str(running.state_dir)])
    shell = subprocess.run(
        ["bash", "-c", f'{result.output}\necho "$STORAGE_EMULATOR_HOST"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout.strip() == running.endpoints.storage


def test_status_shows_each_emulator_healthy_with_its_address(running: LocalCloud) -> None:
    result = runner.invoke(app, ["local", "status", "--state-dir", str(running.state_dir)])
    assert result.exit_code == 0, result.output
    for service in ("storage", "pubsub"):
        address = str(getattr(running.endpoints, service))
        row = next(line for line in result.output.splitlines() if address in line)
        assert service in row
        assert "healthy" in row


def test_status_shows_the_identity_issuer_that_runs_with_auth(tmp_path: Path) -> None:
    with LocalCloud(services=["auth"], state_dir=tmp_path) as cloud:
        result = runner.invoke(app, ["local", "status", "--state-dir", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert cloud.endpoints.issuer
        issuer_port = cloud.endpoints.issuer.split("://", 1)[1].split("/", 1)[0]
        row = next(line for line in result.output.splitlines() if issuer_port in line)
        assert "issuer" in row
        assert "healthy" in row


def test_reset_from_the_cli_empties_storage(running: LocalCloud) -> None:
    base = running.endpoints.storage
    requests.post(f"{base}/storage/v1/b", json={"name": "cli-reset"}, timeout=5).raise_for_status()
    result = runner.invoke(app, ["local", "reset", "--state-dir", str(running.state_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("reset in ")
    assert requests.get(f"{base}/storage/v1/b", timeout=5).json().get("items", []) == []


def test_logs_prints_an_emulators_log(running: LocalCloud) -> None:
    result = runner.invoke(
        app, ["local", "logs", "pubsub", "-n", "1000", "--state-dir", str(running.state_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "pubsub.log" in result.output
    assert "Server started" in result.output


def test_commands_say_when_no_local_cloud_runs(tmp_path: Path) -> None:
    for command in ("status", "env", "reset"):
        result = runner.invoke(app, ["local", command, "--state-dir", str(tmp_path)])
        assert result.exit_code == 1
        assert "no local cloud is running" in result.output
        assert "hybridstack local up" in result.output


def test_unknown_service_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["local", "up", "--services", "aws,s3", "--state-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "unknown service(s) s3" in result.output


def test_dev_is_up_watching(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``hybridstack dev`` runs ``up`` watching the project; plain ``up`` does not watch."""
    watched: list[bool] = []
    monkeypatch.setattr(local_cli, "_make_cloud", lambda *args: object())
    monkeypatch.setattr(local_cli, "Deployment", lambda *args: object())
    monkeypatch.setattr(
        local_cli, "_run_until_stopped", lambda cloud, deployment, watch: watched.append(watch)
    )
    # no platform functions to assemble: only the emulators it needs are chosen
    options = ["--services", "aws", "--state-dir", str(tmp_path)]
    for command in (["dev"], ["up"], ["up", "--watch"]):
        result = runner.invoke(app, [*command, *options])
        assert result.exit_code == 0, result.output
    assert watched == [True, False, True]


def test_up_runs_until_down_from_another_shell_and_leaves_nothing(tmp_path: Path) -> None:
    hybridstack = Path(sys.executable).with_name("hybridstack")
    env = {**os.environ, "HYBRIDSTACK_STATE_DIR": str(tmp_path)}
    up = subprocess.Popen(
        [str(hybridstack), "local", "up", "--services", "storage,aws"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while read_state(tmp_path) is None:
            assert up.poll() is None, up.communicate()[0]
            assert time.monotonic() < deadline
            time.sleep(0.2)
        state = read_state(tmp_path)
        assert state is not None
        emulator_pids = [record.pid for record in state.processes.values()]
        assert sorted(state.processes) == ["aws", "storage"]
        down = subprocess.run(
            [str(hybridstack), "local", "down"], env=env, capture_output=True, text=True
        )
        assert down.returncode == 0, down.stdout + down.stderr
        assert "local cloud stopped" in down.stdout
        output, _ = up.communicate(timeout=60)
        assert up.returncode == 0, output
        assert "ready in" in output
        assert "local cloud stopped" in output
        assert not [pid for pid in emulator_pids if _running(pid)]
        assert read_state(tmp_path) is None
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


def _start_up(state_dir: Path, services: str) -> tuple[subprocess.Popen[str], list[int]]:
    """`hybridstack local up` in a subprocess, once its state is recorded; and emulator pids."""
    hybridstack = Path(sys.executable).with_name("hybridstack")
    env = {**os.environ, "HYBRIDSTACK_STATE_DIR": str(state_dir)}
    up = subprocess.Popen(
        [str(hybridstack), "local", "up", "--services", services],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while (state := read_state(state_dir)) is None:
        assert up.poll() is None, up.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return up, [record.pid for record in state.processes.values()]


def test_ctrl_c_stops_up_and_every_emulator(tmp_path: Path) -> None:
    up, pids = _start_up(tmp_path, "storage,pubsub")
    try:
        up.send_signal(signal.SIGINT)
        output, _ = up.communicate(timeout=60)
        assert up.returncode == 0, output
        assert "local cloud stopped" in output
        assert not [pid for pid in pids if _running(pid)]
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


def test_an_emulator_that_keeps_dying_ends_up_with_its_log_and_the_command_that_recovers(
    tmp_path: Path,
) -> None:
    from hybridstack.emulators.runtime.supervision import MAX_RESTARTS

    up, pids = _start_up(tmp_path, "storage")
    try:
        for restarts in range(1, MAX_RESTARTS + 1):
            os.kill(pids[0], signal.SIGKILL)
            deadline = time.monotonic() + 120
            while (state := read_state(tmp_path)) is None or state.processes[
                "storage"
            ].restarts != restarts:
                assert up.poll() is None, up.communicate()[0]
                assert time.monotonic() < deadline
                time.sleep(0.1)
            pids = [state.processes["storage"].pid]
        os.kill(pids[0], signal.SIGKILL)  # once more: a crash loop
        output, _ = up.communicate(timeout=60)
        assert up.returncode == 1
        assert (
            f"storage emulator died (exit code -9) and was restarted {MAX_RESTARTS} times "
            "already; the local cloud stops." in output
        ), output
        assert f"--- last lines of {tmp_path / 'storage.log'} ---" in output
        assert (
            f"recover with: hybridstack local down --state-dir {tmp_path} && hybridstack local "
            "up --services storage" in output
        )
        assert read_state(tmp_path) is None
        assert not list(tmp_path.glob("*.pid.json"))
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


def test_down_cleans_up_after_an_up_that_was_killed(tmp_path: Path) -> None:
    up, pids = _start_up(tmp_path, "storage,pubsub")
    up.kill()  # SIGKILL: no chance to stop its emulators
    up.wait()
    assert all(_running(pid) for pid in pids)
    result = runner.invoke(app, ["local", "down", "--state-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "local cloud stopped" in result.output
    assert not [pid for pid in pids if _running(pid)]
    assert not list(tmp_path.glob("*.pid.json"))
    again = runner.invoke(app, ["local", "down", "--state-dir", str(tmp_path)])
    assert "no local cloud was running" in again.output
