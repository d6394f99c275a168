"""A deliberately unsafe program (raw pulumi_aws/pulumi_gcp resources) and a safe twin.

Each unsafe resource breaks exactly one rule, so the tests can check that every rule fires
and names the right resource. ``safe_program`` declares the same shapes done right.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

OPEN_RULES = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /{document=**} { allow read, write: if true; }
  }
}
"""

CLOSED_RULES = OPEN_RULES.replace("if true", "if request.auth != null")


def _tls_only(bucket: aws.s3.Bucket) -> pulumi.Output[str]:
    return pulumi.Output.all(bucket.arn).apply(
        lambda arns: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [arns[0], f"{arns[0]}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        )
    )


def _private_bucket(name: str, *, versioned: bool) -> aws.s3.Bucket:
    bucket = aws.s3.Bucket(name)
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-pab",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.s3.BucketPolicy(f"{name}-policy", bucket=bucket.id, policy=_tls_only(bucket))
    if versioned:
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
        )
    return bucket


def _role(name: str, statement: Mapping[str, Any]) -> aws.iam.Role:
    role = aws.iam.Role(
        name,
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    aws.iam.RolePolicy(
        f"{name}-policy",
        role=role.id,
        policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    return role


def _function(name: str, role: aws.iam.Role, *, dlq: bool, retained: bool) -> aws.lambda_.Function:
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/aws/lambda/{name}",
        retention_in_days=7 if retained else None,
    )
    function = aws.lambda_.Function(
        name,
        name=name,
        role=role.arn,
        runtime="python3.12",
        handler="hybridstack.services.health.handler",
        code=pulumi.AssetArchive({}),
        logging_config={"log_format": "JSON", "log_group": log_group.name},
    )
    if dlq:
        failures = aws.sqs.Queue(f"{name}-failures")
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=function.name,
            destination_config={"on_failure": {"destination": failures.arn}},
        )
    return function


def _program(*, safe: bool) -> None:
    uploads = _private_bucket("uploads", versioned=True)
    if safe:
        _private_bucket("open-bucket", versioned=True)
    else:
        aws.s3.Bucket("open-bucket")  # no encryption, no public access block, no TLS policy

    narrow: dict[str, Any] = {
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::x/*"],
    }
    tracing: dict[str, Any] = {
        "Effect": "Allow",
        "Action": ["xray:PutTraceSegments"],
        "Resource": "*",
    }
    role = _role("worker-role", narrow)
    _role("tracing-role", tracing)  # '*' where AWS requires it: allowed
    _role("admin-role", narrow if safe else {"Effect": "Allow", "Action": "*", "Resource": "*"})

    worker = _function("on-upload", role, dlq=safe, retained=True)
    aws.lambda_.Permission(
        "on-upload-from-s3",
        action="lambda:InvokeFunction",
        function=worker.name,
        principal="s3.amazonaws.com",
        source_arn=uploads.arn,
    )
    aws.s3.BucketNotification(
        "uploads-events",
        bucket=uploads.id,
        lambda_functions=[{"lambda_function_arn": worker.arn, "events": ["s3:ObjectCreated:*"]}],
    )
    api_fn = _function("api", role, dlq=False, retained=safe)  # sync only: no DLQ needed

    api = aws.apigatewayv2.Api("api", protocol_type="HTTP")
    authorizer = aws.apigatewayv2.Authorizer(
        "firebase",
        api_id=api.id,
        authorizer_type="JWT",
        identity_sources=["$request.header.Authorization"],
        jwt_configuration={
            "issuer": "https://securetoken.google.com/demo-x",
            "audiences": ["demo-x"],
        },
    )
    integration = aws.apigatewayv2.Integration(
        "api-lambda",
        api_id=api.id,
        integration_type="AWS_PROXY",
        integration_uri=api_fn.invoke_arn,
        payload_format_version="2.0",
    )
    target = integration.id.apply(lambda i: f"integrations/{i}")
    aws.apigatewayv2.Route(
        "me",
        api_id=api.id,
        route_key="GET /me",
        target=target,
        authorization_type="JWT",
        authorizer_id=authorizer.id,
    )
    aws.apigatewayv2.Route("health", api_id=api.id, route_key="GET /health", target=target)
    aws.apigatewayv2.Route(
        "delete-media",
        api_id=api.id,
        route_key="DELETE /media/{id}",
        target=target,
        authorization_type="JWT" if safe else "NONE",
        authorizer_id=authorizer.id if safe else None,
    )

    aws.dynamodb.Table(
        "table",
        billing_mode="PAY_PER_REQUEST",
        hash_key="PK",
        range_key="SK",
        attributes=[{"name": "PK", "type": "S"}, {"name": "SK", "type": "S"}],
        point_in_time_recovery={"enabled": safe},
        deletion_protection_enabled=safe,
    )
    ruleset = gcp.firebaserules.Ruleset(
        "firestore-rules",
        source={
            "files": [{"name": "firestore.rules", "content": CLOSED_RULES if safe else OPEN_RULES}]
        },
    )
    gcp.firebaserules.Release(
        "firestore-release",
        name="cloud.firestore",
        ruleset_name=ruleset.name,
    )


def bad_program() -> None:
    """Breaks every rule once (see the module docstring)."""
    _program(safe=False)


def safe_program() -> None:
    """The same shapes, each done right."""
    _program(safe=True)
