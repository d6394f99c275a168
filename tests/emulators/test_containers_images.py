"""What goes into the local images, and when they are rebuilt (no Docker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridstack.emulators.runtime import tools
from hybridstack.emulators.runtime.containers.base_image import DEFAULT_MIRROR, debian_mirror
from hybridstack.emulators.runtime.containers.images import (
    EMULATORS,
    ImageSpec,
    aws_image_spec,
    firebase_image_spec,
    node_runtime,
)


def test_aws_image_is_pinned_by_the_process_backends_lock_file() -> None:
    spec = aws_image_spec()
    lock = spec.files["ministack.lock"]
    assert lock.name == "ministack.lock"
    assert lock.parent.name == "aws"
    assert "ministack==" in lock.read_text()
    assert "--require-hashes" in spec.dockerfile.read_text()


def test_tag_changes_when_a_pin_changes(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM base\n")
    lock = tmp_path / "ministack.lock"
    lock.write_text("ministack==1.5.33\n")
    spec = ImageSpec("aws", dockerfile, {"ministack.lock": lock})
    before = spec.tag("base:1")
    assert before == spec.tag("base:1")  # stable: a second start finds the image
    assert before.startswith("hybridstack/local-aws:")
    lock.write_text("ministack==1.5.34\n")
    assert spec.tag("base:1") != before
    assert ImageSpec("aws", dockerfile, {"ministack.lock": lock}).tag("base:2") != spec.tag(
        "base:1"
    )


def test_firebase_image_reuses_the_process_backends_pins_and_fix() -> None:
    spec = firebase_image_spec()
    assert spec.files["package-lock.json"] == EMULATORS / "firebase" / "package-lock.json"
    assert spec.files["lazy-validators.js"] == EMULATORS / "firebase" / "lazy-validators.js"
    assert spec.files["cloud-firestore-emulator.jar"] == tools.firestore_emulator_jar()
    assert spec.files["cloud-pubsub-emulator.jar"] == tools.pubsub_emulator_jar()
    dockerfile = spec.dockerfile.read_text()
    assert "npm ci" in dockerfile
    assert "openjdk-17-jre-headless" in dockerfile
    # The node copied in is new enough for the pinned firebase-tools.
    node, _npm = node_runtime()
    assert spec.files["node"] == node


def test_too_old_node_is_refused_naming_the_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old_node = tmp_path / "node"
    old_node.write_text("#!/bin/sh\necho v18.19.0\n")
    old_node.chmod(0o755)
    monkeypatch.setenv("HYBRIDSTACK_NODE", str(old_node))
    with pytest.raises(tools.MissingToolError, match=r"Node.js 20 or newer.*v18.19.0.*apt-get"):
        node_runtime()


def test_debian_mirror_follows_apt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HYBRIDSTACK_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list.d").mkdir()
    assert debian_mirror(tmp_path) == DEFAULT_MIRROR
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n"
    )
    assert debian_mirror(tmp_path) == "http://mirror.example/debian"
    monkeypatch.setenv("HYBRIDSTACK_DEBIAN_MIRROR", "http://other.example/debian")
    assert debian_mirror(tmp_path) == "http://other.example/debian"
