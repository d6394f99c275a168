"""PythonLayer: builds from the lock file for the Lambda platform, cached by content hash."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.function import Function
from hybridstack.components.python_layer import (
    DEFAULT_LOCK_FILE,
    LayerBuildError,
    PythonLayer,
    build_layer,
    default_manylinux,
    host_layer_args,
    layer_cache_key,
    python_platform,
)
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks
from tests.unit.components.aws_helpers import make_code_root

SIX = """six==1.17.0 \\
    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274 \\
    --hash=sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81
"""


def test_platform_follows_the_lambda_runtime() -> None:
    assert python_platform("arm64", default_manylinux("3.11")) == "aarch64-manylinux2014"
    assert python_platform("x86_64", default_manylinux("3.12")) == "x86_64-manylinux_2_28"


def test_cache_key_changes_with_lock_and_platform_only() -> None:
    key = layer_cache_key("a==1", "arm64", "3.12", "manylinux_2_28")
    assert key == layer_cache_key("a==1", "arm64", "3.12", "manylinux_2_28")
    assert key != layer_cache_key("a==2", "arm64", "3.12", "manylinux_2_28")
    assert key != layer_cache_key("a==1", "x86_64", "3.12", "manylinux_2_28")


def test_build_installs_wheels_under_python_and_reuses_the_cache(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(SIX)
    built = build_layer(lock, architecture="arm64", python_version="3.12", cache_dir=tmp_path)
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
    assert "python/six.py" in names
    assert not any("__pycache__" in n for n in names)
    stamp = built.stat().st_mtime_ns
    again = build_layer(lock, architecture="arm64", python_version="3.12", cache_dir=tmp_path)
    assert again == built
    assert again.stat().st_mtime_ns == stamp


def test_a_tampered_lock_fails_with_the_installers_reason(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(SIX.replace("4721f391", "0000f391"))
    with pytest.raises(LayerBuildError, match=r"(?is)requirements.lock failed:.*hash mismatch"):
        build_layer(lock, architecture="x86_64", python_version="3.11", cache_dir=tmp_path)


def test_services_lock_exists_and_pins_every_requirement_with_hashes() -> None:
    text = DEFAULT_LOCK_FILE.read_text()
    for name in ("aws-lambda-powertools==", "firebase-admin==", "pillow==", "boto3=="):
        assert name in text
    assert "pulumi" not in text  # only the services' runtime libraries ship to Lambda
    assert "--hash=sha256:" in text


def test_functions_left_at_the_default_share_one_layer_per_platform(tmp_path: Path) -> None:
    root = make_code_root(tmp_path)

    def program() -> None:
        for name in ("a", "b"):
            Function(name, {"handler": "app.svc.health.handler.handle", "code_root": str(root)})
        Function(
            "c",
            {"handler": "app.svc.health.handler.handle", "code_root": str(root),
             "architecture": "x86_64"},
        )  # fmt: skip

    resources = run_under_mocks(program)
    layers = of_type(resources, "aws:lambda/layerVersion:LayerVersion")
    assert sorted(tuple(layer.inputs["compatibleArchitectures"]) for layer in layers) == [
        ("arm64",),
        ("x86_64",),
    ]
    arns = {
        tuple(layer.inputs["compatibleArchitectures"]): layer.outputs["arn"] for layer in layers
    }
    functions = {f.name: f for f in of_type(resources, "aws:lambda/function:Function")}
    assert functions["a"].inputs["layers"] == functions["b"].inputs["layers"] == [arns[("arm64",)]]
    assert functions["c"].inputs["layers"] == [arns[("x86_64",)]]


def test_bad_platform_is_named() -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=r"python_version='2\.7'"):
        run_under_mocks(lambda: PythonLayer("deps", {"python_version": "2.7"}), mocks=mocks)
    assert mocks.resources == []


def test_host_layer_args_match_this_interpreter() -> None:
    import sys

    args = host_layer_args()
    assert args.python_version == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert args.architecture in ("arm64", "x86_64")


def test_local_stack_functions_run_on_the_host_platform_with_a_host_layer(tmp_path: Path) -> None:
    root = make_code_root(tmp_path)
    host = host_layer_args()
    resources = run_under_mocks(
        lambda: Function(
            "api", {"handler": "app.svc.health.handler.handle", "code_root": str(root)}
        ),
        stack="local",
    )
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert function.inputs["architectures"] == [host.architecture]
    assert function.inputs["runtime"] == f"python{host.python_version}"
    (layer,) = of_type(resources, "aws:lambda/layerVersion:LayerVersion")
    assert layer.inputs["compatibleRuntimes"] == [function.inputs["runtime"]]
    assert function.inputs["layers"] == [layer.outputs["arn"]]
