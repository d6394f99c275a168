"""IAM is enforced in the local cloud as on AWS: a function whose links miss a permission fails
locally, exactly where it would fail in the cloud.

A small program (deployed with the same engine, into the same running cloud) declares the
analytics collector twice: once with the raw bucket linked read-only — the name reaches the code,
``s3:PutObject`` does not — and once linked properly. Invoking each through the Lambda API
shows AccessDenied for the first and a completed collection for the second.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from hybridstack.components.database import Table
from hybridstack.components.function import Function
from hybridstack.components.link import LinkSpec
from hybridstack.components.secure_bucket import SecureBucket
from hybridstack.emulators.deploy import DeployResult, deploy_local_stack
from reference_platform.program import ANALYTICS_HANDLER
from tests.repository import REPOSITORY


def collectors_program() -> None:
    """The collector under-linked (bucket read-only) and properly linked, side by side."""
    bucket = SecureBucket("iam-demo-raw")
    table = Table("iam-demo-db", {"partition_key": "PK", "sort_key": "SK"})
    names = LinkSpec(
        environment={
            "ANALYTICS_RAW_BUCKET_NAME": bucket.bucket_name,
            "DATABASE_TABLE_NAME": table.table_name,
        }
    )
    environment = {"HYBRIDSTACK_ENV": "local", "ANALYTICS_SOURCE_MODE": "generated"}
    for name, bucket_link in (
        ("iam-demo-underlinked", bucket.read_only()),
        ("iam-demo-linked", bucket),
    ):
        function = Function(
            name,
            {
                "handler": ANALYTICS_HANDLER,
                "link": [bucket_link, table, names],
                "environment": environment,
                "dead_letter": False,
                "timeout": 60,
            },
        )
        pulumi.export(name, function.function_name)


@pytest.fixture(scope="module")
def collectors(stack: Any) -> DeployResult:
    return deploy_local_stack(
        stack.endpoints,
        project_dir=REPOSITORY,
        program=collectors_program,
        state_path=stack.cloud.state_dir / "deploy-iam-demo.json",
    )


def _invoke(aws: Any, function: str) -> dict[str, Any]:
    answer = aws("lambda").invoke(
        FunctionName=function, Payload=json.dumps({"sources": ["spotify"]}).encode()
    )
    return {"error": answer.get("FunctionError"), "payload": json.loads(answer["Payload"].read())}


def test_a_function_missing_a_permission_is_denied_as_on_aws(collectors, aws, stack):
    underlinked = _invoke(aws, collectors.outputs["iam-demo-underlinked"])
    linked = _invoke(aws, collectors.outputs["iam-demo-linked"])

    assert stack.cloud.aws_iam  # the local cloud enforces IAM
    assert underlinked["error"] == "Unhandled", underlinked
    message = underlinked["payload"]["errorMessage"]
    assert "AccessDenied" in message
    assert "PutObject" in message
    assert "no identity-based policy allows the s3:PutObject action" in message
    assert linked["error"] is None, linked
    assert linked["payload"]["sources"]["spotify"]["items"] > 0
