"""A Lambda layer is unzipped once for all the workers that use it (``ministack_patches``,
patch 4): every worker imports from the same extraction, which goes when the cloud stops.
Real MiniStack, a real layer published and attached, workers forced to start side by side."""

from __future__ import annotations

import io
import json
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from hybridstack.emulators.runtime import ministack
from hybridstack.emulators.runtime.aws.ministack_patches import LAYER_CACHE
from hybridstack.emulators.runtime.clients import aws_client
from hybridstack.emulators.runtime.local_cloud import LocalCloud

HANDLER = """
import os
import time

import shared_helper


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    layer = os.environ["_LAMBDA_LAYERS_DIRS"].split(os.pathsep)[0]
    return {
        "answer": shared_helper.ANSWER,
        "pid": os.getpid(),
        "layer": layer,
        "layer_is_link": os.path.islink(layer),
        "layer_target": os.path.realpath(layer),
    }
"""
ROLE = "arn:aws:iam::000000000000:role/layers"


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_workers_of_two_functions_share_one_extraction_of_their_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ministack.CONCURRENCY_ENV, "4")
    cloud = LocalCloud(services=["aws"], state_dir=tmp_path)
    with cloud:
        client = aws_client(
            cloud.endpoints, "lambda", config=Config(retries={"max_attempts": 1}, read_timeout=300)
        )
        layer = client.publish_layer_version(
            LayerName="shared",
            Content={"ZipFile": _zip({"python/shared_helper.py": "ANSWER = 42\n"})},
            CompatibleRuntimes=["python3.11"],
        )["LayerVersionArn"]
        for name in ("first", "second"):
            client.create_function(
                FunctionName=name,
                Runtime="python3.11",
                Role=ROLE,
                Handler="app.handler",
                Code={"ZipFile": _zip({"app.py": HANDLER})},
                Layers=[layer],
                Timeout=60,
            )
            client.get_waiter("function_active_v2").wait(FunctionName=name)

        def invoke(name: str) -> dict[str, Any]:
            response = client.invoke(FunctionName=name, Payload=json.dumps({"sleep": 1}).encode())
            payload: dict[str, Any] = json.loads(response["Payload"].read())
            assert "FunctionError" not in response, payload
            return payload

        with ThreadPoolExecutor(4) as pool:  # two at once per function: two workers each
            results = list(pool.map(invoke, ["first", "second", "first", "second"]))

        assert {result["answer"] for result in results} == {42}
        assert len({result["pid"] for result in results}) >= 3  # several workers started
        assert all(result["layer_is_link"] for result in results)
        targets = {result["layer_target"] for result in results}
        cache = cloud.state_dir / "aws-tmp" / LAYER_CACHE
        assert len(targets) == 1  # one extraction for every worker
        assert Path(targets.pop()).parent == cache.resolve()
        assert not [
            name
            for folder in ministack.worker_folders(cloud.state_dir)
            for name in os.listdir(folder)
            if name.endswith(".zip") and name.startswith("layer_")
        ]  # no worker keeps its own copy of the layer

    assert not cache.exists()
    assert ministack.worker_folders(cloud.state_dir) == []
