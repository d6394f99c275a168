"""Figures for supervision and persistence: how long a killed emulator takes to answer again on
its address, and what a Firestore checkpoint costs.

    .venv/bin/python benchmarks/supervision.py
    .venv/bin/python benchmarks/supervision.py --documents 2000

1. Restart: each emulator of the default set (and the issuer) is killed with SIGKILL; the
   supervisor notices it on its next check and restarts it on the same ports; measured from the
   kill to the restarted emulator's first working request (the same readiness request a start
   uses).
2. Checkpoint: ``--documents`` Firestore documents are written to a persisting cloud, then
   ``LocalCloud.checkpoint()`` (an export) is timed 5 times: the cost the supervisor pays every
   ``CHECKPOINT_SECONDS`` while persisting, and the window a Firestore crash loses.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path

import requests

from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.supervision import CHECKPOINT_SECONDS, Restarted, Supervisor


def restart_seconds(state_dir: Path) -> dict[str, float]:
    """Kill -> answering again on the same address, per process."""
    figures: dict[str, float] = {}
    with LocalCloud(state_dir=state_dir) as cloud:
        supervisor = Supervisor(cloud, recovery="-")
        for name in list(cloud.pids()):
            before = cloud.endpoints
            killed = time.perf_counter()
            os.kill(cloud.pids()[name], signal.SIGKILL)
            while not (events := supervisor.check()):
                time.sleep(0.05)
            [event] = events
            assert isinstance(event, Restarted), event
            assert cloud.endpoints == before
            figures[name] = time.perf_counter() - killed
    return figures


def checkpoint_seconds(state_dir: Path, documents: int) -> list[float]:
    with LocalCloud(services=["firestore"], persist=True, state_dir=state_dir) as cloud:
        base = (
            f"http://{cloud.endpoints.firestore}/v1/projects/{cloud.endpoints.project_id}"
            "/databases/(default)/documents:commit"
        )
        prefix = f"projects/{cloud.endpoints.project_id}/databases/(default)/documents/things"
        session = requests.Session()
        for start in range(0, documents, 500):
            writes = [
                {"update": {"name": f"{prefix}/d{i}", "fields": {"n": {"integerValue": str(i)}}}}
                for i in range(start, min(start + 500, documents))
            ]
            session.post(
                base, json={"writes": writes}, headers={"Authorization": "Bearer owner"}, timeout=60
            ).raise_for_status()
        rounds = []
        for _ in range(5):
            clock = time.perf_counter()
            cloud.checkpoint()
            rounds.append(time.perf_counter() - clock)
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    options = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as directory:
        for name, seconds in restart_seconds(Path(directory) / "restart").items():
            print(f"restart after kill -9: {name:<10} {seconds:5.1f} s")
        rounds = checkpoint_seconds(Path(directory) / "checkpoint", options.documents)
    print(
        f"Firestore checkpoint of {options.documents} documents: median "
        f"{statistics.median(rounds) * 1000:.0f} ms, max {max(rounds) * 1000:.0f} ms "
        f"(every {CHECKPOINT_SECONDS:.0f} s while persisting)"
    )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
