"""MiniStack as the local cloud starts it: its Lambdas reach MiniStack itself through boto3."""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from pathlib import Path

import boto3
import pytest

from hybridstack.emulators.runtime.local_cloud import LocalCloud

HANDLER = textwrap.dedent(
    """
    import os
    import boto3

    def handler(event, context):
        names = [bucket["Name"] for bucket in boto3.client("s3").list_buckets()["Buckets"]]
        return {"buckets": names, "endpoint": os.environ.get("AWS_ENDPOINT_URL")}
    """
)


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def test_a_lambda_uses_boto3_against_ministack_whatever_the_shell_exported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stale export from another run must not reach MiniStack's Lambda workers.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with LocalCloud(services=["aws"], state_dir=tmp_path) as cloud:
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        endpoint = cloud.endpoints.aws
        session.client("s3", endpoint_url=endpoint).create_bucket(Bucket="seen-by-lambda")
        lambda_ = session.client("lambda", endpoint_url=endpoint)
        lambda_.create_function(
            FunctionName="lister",
            Runtime="python3.11",
            Role="arn:aws:iam::000000000000:role/lambda",
            Handler="app.handler",
            Code={"ZipFile": zipped(HANDLER)},
        )
        lambda_.get_waiter("function_active_v2").wait(FunctionName="lister")
        response = lambda_.invoke(FunctionName="lister", Payload=b"{}")
        result = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, result
        assert result["buckets"] == ["seen-by-lambda"]
        assert result["endpoint"] == endpoint
