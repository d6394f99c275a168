"""Deploying a service handler as a real Lambda in the AWS emulator, packaged as the Function
component packages it: the handler's code archive (``package_files``) plus the dependency
layer built from ``services/requirements.lock`` for the emulator's host (x86_64, its Python)."""

from __future__ import annotations

import io
import sys
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

from hybridstack.components.packaging import package_files
from hybridstack.components.python_layer import DEFAULT_LOCK_FILE, build_layer

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
ROLE = "arn:aws:iam::000000000000:role/service-test"


def code_archive(handler: str) -> bytes:
    """The Function component's code package for ``handler``, zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in package_files(None, handler).items():
            archive.write(path, name)
    return buffer.getvalue()


@cache
def local_layer_zip() -> Path:
    """The dependency layer for the emulator's Lambdas (cached by the lock file's hash)."""
    return build_layer(
        DEFAULT_LOCK_FILE, architecture="x86_64", python_version=PYTHON, manylinux="manylinux_2_28"
    )


def deploy_function(
    lambda_client: Any, name: str, handler: str, environment: dict[str, str], timeout: int = 30
) -> str:
    """Publish the layer, create the function with it; returns the function ARN."""
    layer = lambda_client.publish_layer_version(
        LayerName=f"{name}-deps",
        Content={"ZipFile": local_layer_zip().read_bytes()},
        CompatibleRuntimes=[f"python{PYTHON}"],
    )
    function = lambda_client.create_function(
        FunctionName=name,
        Runtime=f"python{PYTHON}",
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": code_archive(handler)},
        Layers=[layer["LayerVersionArn"]],
        Environment={"Variables": environment},
        Timeout=timeout,
        MemorySize=512,
    )
    return str(function["FunctionArn"])
