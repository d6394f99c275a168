"""What goes into the local images, and when they are rebuilt (no Docker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridstack.emulators.containers.base_image import DEFAULT_MIRROR, debian_mirror
from hybridstack.emulators.containers.images import (
    FIRESTORE_JAR_VARIABLE,
    ImageBuildError,
    ImageSpec,
    aws_image_spec,
    firestore_jar,
    pubsub_jar,
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


def test_missing_firestore_jar_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(FIRESTORE_JAR_VARIABLE, raising=False)
    monkeypatch.setenv("CLOUDSDK_ROOT_DIR", str(tmp_path / "no-sdk"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ImageBuildError, match="google-cloud-cli-firestore-emulator"):
        firestore_jar()
    with pytest.raises(ImageBuildError, match="google-cloud-cli-pubsub-emulator"):
        pubsub_jar()


def test_explicit_jar_setting_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    jar = tmp_path / "firestore.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv(FIRESTORE_JAR_VARIABLE, str(jar))
    assert firestore_jar() == jar


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
