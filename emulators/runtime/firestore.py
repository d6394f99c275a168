"""Firestore: the Cloud Firestore emulator JAR run directly with Java on 127.0.0.1.

The JAR comes from an installed gcloud SDK, ``HYBRIDSTACK_FIRESTORE_EMULATOR_JAR`` or
firebase-tools' download cache (see
:func:`hybridstack.emulators.runtime.tools.firestore_emulator_jar`).
It ignores SIGINT; the process machinery stops it with SIGTERM.

Example:
    launch = firestore.launch(8080, run_dir, project_id="demo-hybridstack")
    firestore.health("127.0.0.1:8080")
    firestore.reset("127.0.0.1:8080", "demo-hybridstack")  # every document deleted
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import requests

from hybridstack.emulators.runtime import tools
from hybridstack.emulators.runtime.http_health import answers_ok
from hybridstack.emulators.runtime.ports import LOOPBACK
from hybridstack.emulators.runtime.process import Launch

NAME = "firestore"
MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"
# Small heap, serial GC: an emulator holding test data, not a server under load.
EXPORT_NAME = "firestore_export"
JVM_OPTIONS = ("-Duser.language=en", "-XX:+UseSerialGC", "-Xms32m", "-Xmx512m")


def address(port: int) -> str:
    """``host:port`` as ``FIRESTORE_EMULATOR_HOST`` wants it."""
    return f"{LOOPBACK}:{port}"


def launch(port: int, run_dir: Path, *, project_id: str, persist_dir: Path | None = None) -> Launch:
    """How to run the emulator; documents exported to ``persist_dir`` are loaded at start."""
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
    seed = (
        persist_dir / EXPORT_NAME / f"{EXPORT_NAME}.overall_export_metadata"
        if persist_dir
        else None
    )
    if seed and seed.exists():
        argv += ["--seed_from_export", str(seed)]
    address_ = address(port)

    def ready() -> bool:
        if not health(address_):
            return False
        if persist_dir is None:
            # A real request, and the emulator's first wipe (1-2 s of JIT warm-up) is paid
            # here, not by the first reset a test makes. Nothing to lose in a new emulator.
            reset(address_, project_id)
        return True

    return Launch(name=NAME, argv=argv, ready=ready, start_timeout=60.0)


def check_tools() -> None:
    """Locate Java and the emulator's JAR (a missing one raises, naming its installer)."""
    tools.java()
    tools.firestore_emulator_jar()


def export(address: str, project_id: str, directory: Path) -> None:
    """Write the emulator's documents to ``directory`` (read back by the next ``launch``)."""
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=directory))
    try:
        response = requests.post(
            f"http://{address}/emulator/v1/projects/{project_id}:export",
            json={
                "database": f"projects/{project_id}/databases/(default)",
                "export_directory": str(staging),
                "export_name": EXPORT_NAME,
            },
            timeout=120,
        )
        response.raise_for_status()
        shutil.rmtree(directory / EXPORT_NAME, ignore_errors=True)
        (staging / EXPORT_NAME).replace(directory / EXPORT_NAME)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def health(address: str) -> bool:
    """Whether the emulator answers (``GET /`` says ``Ok``)."""
    return answers_ok(f"http://{address}/")


def reset(address: str, project_id: str) -> None:
    """Delete every document of ``project_id``'s default database, without restarting."""
    response = requests.delete(
        f"http://{address}/emulator/v1/projects/{project_id}/databases/(default)/documents",
        timeout=30,
    )
    response.raise_for_status()
