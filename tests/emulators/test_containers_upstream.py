"""Choosing a published AWS emulator image (no registry here: selection and validation only)."""

from __future__ import annotations

import pytest

from hybridstack.emulators.runtime.containers import ContainerCloud
from hybridstack.emulators.runtime.containers.upstream import (
    LOCALSTACK_TOKEN_VARIABLE,
    PINNED,
    check_image_source,
    upstream_aws_image,
)
from hybridstack.emulators.runtime.storage import StorageEvents


def test_every_pinned_image_names_a_fixed_version() -> None:
    for emulator, image in PINNED.items():
        repository, _, tag = image.reference.rpartition(":")
        assert repository, emulator
        assert tag[:1].isdigit(), f"{emulator} is not pinned to a version: {image.reference}"
        assert image.port == 4566


def test_localstack_without_token_is_refused_naming_the_variable() -> None:
    with pytest.raises(ValueError, match=LOCALSTACK_TOKEN_VARIABLE) as error:
        upstream_aws_image("localstack", environ={})
    assert "2026.03" in str(error.value)
    assert "ministack" in str(error.value)  # says what works without a token


def test_localstack_with_token_passes_it_to_the_container() -> None:
    image = upstream_aws_image("localstack", environ={LOCALSTACK_TOKEN_VARIABLE: "ls-secret"})
    assert image.reference == PINNED["localstack"].reference
    assert image.environment == {LOCALSTACK_TOKEN_VARIABLE: "ls-secret"}
    assert image.health_path == "/_localstack/health"


@pytest.mark.parametrize("emulator", ["ministack", "floci"])
def test_token_free_emulators_need_no_variables(emulator: str) -> None:
    image = upstream_aws_image(emulator, environ={})
    assert image.environment == {}
    assert image.reference == PINNED[emulator].reference  # type: ignore[index]


def test_image_override_by_variable() -> None:
    digest = "floci/floci@sha256:" + "0" * 64
    image = upstream_aws_image("floci", environ={"HYBRIDSTACK_FLOCI_IMAGE": digest})
    assert image.reference == digest


def test_unknown_emulator_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="ministack, floci, localstack"):
        upstream_aws_image("motoserver", environ={})


def test_unknown_image_source_is_refused() -> None:
    with pytest.raises(ValueError, match="image_source='registry'"):
        check_image_source("registry")
    with pytest.raises(ValueError, match="local, upstream"):
        ContainerCloud(image_source="registry")  # type: ignore[arg-type]


def test_container_cloud_validates_before_touching_docker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(LOCALSTACK_TOKEN_VARIABLE, raising=False)
    with pytest.raises(ValueError, match=LOCALSTACK_TOKEN_VARIABLE):
        ContainerCloud(image_source="upstream", aws_emulator="localstack")
    with pytest.raises(ValueError, match="Floci does not enforce IAM"):
        ContainerCloud(image_source="upstream", aws_emulator="floci", aws_iam=True)
    # Firebase-only clouds never need an AWS image, so no token either.
    firebase_only = ContainerCloud(
        services=["firestore"], image_source="upstream", aws_emulator="localstack"
    )
    assert firebase_only.upstream is None


def test_container_cloud_rejects_unknown_services() -> None:
    with pytest.raises(ValueError, match=r"unknown service\(s\) dynamo"):
        ContainerCloud(services=["aws", "dynamo"])
    with pytest.raises(ValueError, match="services is empty"):
        ContainerCloud(services=[])
    with pytest.raises(ValueError, match=r"Functions emulator.*process backend"):
        ContainerCloud(services=["auth", "functions"])
    with pytest.raises(ValueError, match="storage_events needs both"):
        ContainerCloud(services=["storage"], storage_events=StorageEvents("demo-x", "uploads"))
