"""The local issuer comes and goes with the Auth emulator: started by LocalCloud on 127.0.0.1,
recorded like every emulator process, its key private to the owner and gone after stop."""

from __future__ import annotations

import stat
from pathlib import Path

import psutil
import requests

from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.run_state import read_state


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_the_issuer_runs_with_auth_and_stops_with_the_cloud(tmp_path: Path) -> None:
    cloud = LocalCloud(services=["auth"], project_id="demo-issuer", state_dir=tmp_path)
    cloud.start()
    try:
        pid = cloud.pids()["issuer"]
        issuer = str(cloud.endpoints.issuer)
        document = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
        key_mode = stat.S_IMODE(cloud.issuer_key_path.stat().st_mode)
        recorded = read_state(tmp_path)
        listening = {
            connection.laddr.ip
            for connection in psutil.Process(pid).net_connections()
            if connection.status == psutil.CONN_LISTEN
        }
    finally:
        cloud.stop()

    assert issuer.startswith("http://127.0.0.1:")
    assert issuer.endswith("/demo-issuer")
    assert document["issuer"] == issuer
    assert listening == {"127.0.0.1"}
    assert key_mode == 0o600
    assert recorded is not None
    assert recorded.endpoints.issuer == issuer  # other shells find it (hybridstack local env)
    assert recorded.endpoints.environment()["HYBRIDSTACK_TOKEN_ISSUER"] == issuer
    assert not _alive(pid)
    assert not cloud.issuer_key_path.exists()


def test_no_auth_no_issuer(tmp_path: Path) -> None:
    with LocalCloud(services=["storage"], state_dir=tmp_path) as cloud:
        assert "issuer" not in cloud.pids()
        assert cloud.endpoints.issuer is None
