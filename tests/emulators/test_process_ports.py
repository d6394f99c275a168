"""Ports: an emulator whose usual port is taken gets another free one, and still works."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from hybridstack.emulators.runtime import local_cloud, storage
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.ports import choose_port, free_port, port_is_free
from hybridstack.emulators.runtime.process import Launch, ManagedProcess, PortTakenError


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_taken_port_is_replaced_by_a_free_one(busy_port: int) -> None:
    assert not port_is_free(busy_port)
    chosen = choose_port(busy_port)
    assert chosen != busy_port
    assert port_is_free(chosen)


def test_a_free_preferred_port_is_kept() -> None:
    port = free_port()
    # free_port handed it out already: choose_port never gives the same port twice.
    assert choose_port(port) != port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        candidate = int(sock.getsockname()[1])
    assert choose_port(candidate) == candidate


def test_storage_starts_elsewhere_when_its_default_port_is_taken(tmp_path: Path) -> None:
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        try:
            blocker.bind(("127.0.0.1", 9023))
            blocker.listen()
        except OSError:
            pass  # 9023 is already taken by someone else: the same situation
        with LocalCloud(services=["storage"], state_dir=tmp_path) as cloud:
            address = cloud.endpoints.storage
            assert address is not None
            assert not address.endswith(":9023")
            assert storage.health(address)
    finally:
        blocker.close()


def test_a_port_taken_between_choosing_and_binding_is_retried(
    tmp_path: Path, busy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator really fails to bind (its log says so); the cloud retries on new ports."""
    handed: list[int] = []

    def racy_choose_port(preferred: int | None = None) -> int:
        port = busy_port if not handed else choose_port(None)
        handed.append(port)
        return port

    monkeypatch.setattr(local_cloud, "choose_port", racy_choose_port)
    with LocalCloud(services=["storage"], state_dir=tmp_path) as cloud:
        assert handed[0] == busy_port
        assert cloud.endpoints.storage == f"http://127.0.0.1:{handed[-1]}"
        bucket = requests.post(
            f"{cloud.endpoints.storage}/storage/v1/b", json={"name": "retried"}, timeout=5
        )
        assert bucket.status_code == 200
    assert len(handed) == 2  # one failed bind, one retry


def test_readiness_answered_by_another_process_on_our_port_is_not_ready(
    busy_port: int, tmp_path: Path
) -> None:
    """Another local cloud grabbed the port first: its answer must not count as ours."""
    launch = Launch(name="imposter-check", argv=["sleep", "30"], ready=lambda: True)
    process = ManagedProcess.spawn(launch, tmp_path)
    with pytest.raises(PortTakenError, match=rf"port {busy_port} is held by another process"):
        process.wait_ready(launch.ready, timeout=10, ports=[busy_port])
    assert not process.running()  # stopped, so the caller can retry on new ports


def test_readiness_on_ports_our_process_holds_is_ready(tmp_path: Path) -> None:
    port = free_port()
    server = (
        "import socket, time; s = socket.socket(); "
        f"s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(30)"
    )
    launch = Launch(
        name="own-listener",
        argv=[sys.executable, "-c", server],
        ready=lambda: not port_is_free(port),
    )
    process = ManagedProcess.spawn(launch, tmp_path)
    try:
        process.wait_ready(launch.ready, timeout=20, ports=[port])
    finally:
        process.stop()
