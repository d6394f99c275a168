"""Firestore: the Cloud Firestore emulator JAR run directly with Java on 127.0.0.1.

The JAR comes from an installed gcloud SDK, ``HYBRIDSTACK_FIRESTORE_EMULATOR_JAR`` or
firebase-tools' download cache (see :func:`hybridstack.emulators.tools.firestore_emulator_jar`).
It ignores SIGINT; the process machinery stops it with SIGTERM.

Example:
    launch = firestore.launch(8080, run_dir, project_id="demo-hybridstack")
    firestore.health("127.0.0.1:8080")
    firestore.reset("127.0.0.1:8080", "demo-hybridstack")  # every document deleted
"""

from __future__ import annotations

from pathlib import Path

import requests

from hybridstack.emulators import tools
from hybridstack.emulators.ports import LOOPBACK
from hybridstack.emulators.process import Launch

NAME = "firestore"
MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
TIMEOUT = 5.0
# Small heap, serial GC: an emulator holding test data, not a server under load.
JVM_OPTIONS = ("-Duser.language=en", "-XX:+UseSerialGC", "-Xms32m", "-Xmx512m")


def address(port: int) -> str:
    """``host:port`` as ``FIRESTORE_EMULATOR_HOST`` wants it."""
    return f"{LOOPBACK}:{port}"


def launch(port: int, run_dir: Path, *, project_id: str, persist_dir: Path | None = None) -> Launch:
    """How to run the emulator; ``persist_dir`` is exported on exit and re-imported on start."""
    del run_dir
    argv = [
        str(tools.java()),
        *JVM_OPTIONS,
        "-cp",
        str(tools.firestore_emulator_jar()),
        MAIN_CLASS,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--project_id",
        project_id,
    ]
    if persist_dir:
        persist_dir.mkdir(parents=True, exist_ok=True)
        argv += ["--export-on-exit", str(persist_dir)]
        exports = sorted(persist_dir.glob("*.overall_export_metadata"))
        if exports:
            argv += ["--seed_from_export", str(exports[-1])]
    address_ = address(port)

    def ready() -> bool:
        # A real request, and the emulator's first wipe (1-2 s of JIT warm-up) is paid here,
        # not by the first reset a test makes.
        if not health(address_):
            return False
        reset(address_, project_id)
        return True

    return Launch(name=NAME, argv=argv, ready=ready, start_timeout=60.0)


def health(address: str) -> bool:
    """Whether the emulator answers (``GET /`` says ``Ok``)."""
    try:
        response = requests.get(f"http://{address}/", timeout=TIMEOUT)
    except requests.RequestException:
        return False
    return response.status_code == 200


def reset(address: str, project_id: str) -> None:
    """Delete every document of ``project_id``'s default database, without restarting."""
    response = requests.delete(
        f"http://{address}/emulator/v1/projects/{project_id}/databases/(default)/documents",
        timeout=30,
    )
    response.raise_for_status()
