"""Pub/Sub: the gcloud Pub/Sub emulator JAR run with ``java -jar`` on 127.0.0.1.

Running the JAR directly skips gcloud's Python wrapper (about a second per start). The emulator
has no wipe endpoint: :func:`reset` deletes the project's subscriptions, snapshots and topics
through the REST API.

Example:
    launch = pubsub.launch(8085, run_dir)
    pubsub.ensure_topic("127.0.0.1:8085", "demo-hybridstack", "uploads")
    pubsub.reset("127.0.0.1:8085", "demo-hybridstack")
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from hybridstack.emulators.runtime import tools
from hybridstack.emulators.runtime.http_health import answers_ok
from hybridstack.emulators.runtime.ports import LOOPBACK
from hybridstack.emulators.runtime.process import Launch

NAME = "pubsub"
TIMEOUT = 5.0
JVM_OPTIONS = ("-XX:+UseSerialGC", "-Xms32m", "-Xmx384m")


def address(port: int) -> str:
    """``host:port`` as ``PUBSUB_EMULATOR_HOST`` wants it."""
    return f"{LOOPBACK}:{port}"


def launch(port: int, run_dir: Path) -> Launch:
    """How to run the emulator on ``127.0.0.1:port`` (state lives in memory)."""
    del run_dir
    argv = [
        str(tools.java()),
        *JVM_OPTIONS,
        "-jar",
        str(tools.pubsub_emulator_jar()),
        f"--host={LOOPBACK}",
        f"--port={port}",
    ]
    address_ = address(port)
    return Launch(name=NAME, argv=argv, ready=lambda: health(address_), start_timeout=60.0)


def check_tools() -> None:
    """Locate Java and the emulator's JAR (a missing one raises, naming its installer)."""
    tools.java()
    tools.pubsub_emulator_jar()


def health(address: str) -> bool:
    """Whether the emulator serves its REST API (listing a project's topics works)."""
    return answers_ok(f"http://{address}/v1/projects/health-check/topics")


def _list(address: str, project_id: str, kind: str) -> list[str]:
    names: list[str] = []
    token = ""
    while True:
        params = {"pageSize": "1000", **({"pageToken": token} if token else {})}
        response = requests.get(
            f"http://{address}/v1/projects/{project_id}/{kind}", params=params, timeout=TIMEOUT
        )
        response.raise_for_status()
        body = response.json()
        names += [item["name"] for item in body.get(kind, [])]
        token = body.get("nextPageToken", "")
        if not token:
            return names


def _delete(address: str, name: str) -> None:
    response = requests.delete(f"http://{address}/v1/{name}", timeout=TIMEOUT)
    if response.status_code not in (200, 404):
        response.raise_for_status()


def reset(address: str, project_id: str) -> None:
    """Delete every subscription, snapshot and topic of ``project_id`` (listed and deleted in
    parallel: a subscription whose topic goes first is still deleted by name)."""
    kinds = ("subscriptions", "snapshots", "topics")
    with ThreadPoolExecutor(max_workers=16) as pool:
        listed = list(pool.map(lambda kind: _list(address, project_id, kind), kinds))
        names = [name for names in listed for name in names]
        list(pool.map(lambda name: _delete(address, name), names))


def ensure_topic(address: str, project_id: str, topic: str) -> None:
    """Create ``topic`` unless it exists."""
    response = requests.put(
        f"http://{address}/v1/projects/{project_id}/topics/{topic}", json={}, timeout=TIMEOUT
    )
    if response.status_code not in (200, 409):
        response.raise_for_status()
