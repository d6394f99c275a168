"""S3 buckets and their settings (versioning, encryption, public access block, ownership,
lifecycle, CORS, access logging, policy) and event notifications (-> SQS, Lambda, SNS).

A policy's TLS-only denial (``aws:SecureTransport`` false) is left out locally, where every
request is plain HTTP, and reported as an adaptation by name.

Example:
    aws.s3.Bucket("media")                                   -> CreateBucket media-1a2b3c4
    aws.s3.BucketNotification("media", queues=[...])         -> PutBucketNotificationConfiguration
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hybridstack.emulators.deploy.context import DeployContext, error_code, fail
from hybridstack.emulators.deploy.registry import (
    Created,
    KeptError,
    Record,
    Resource,
    deleted_by,
    handles,
)
from hybridstack.emulators.deploy.shapes import pascal

BUCKET = "aws:s3/bucket:Bucket"


def _delete_bucket(ctx: DeployContext, record: Record) -> None:
    """Deleted only when empty: local data is never thrown away by a redeploy."""
    s3 = ctx.aws("s3")
    if s3.list_objects_v2(Bucket=record["id"], MaxKeys=1).get("KeyCount", 0):
        raise KeptError("the bucket holds objects; empty it to have it deleted")
    s3.delete_bucket(Bucket=record["id"])


@handles(BUCKET, "aws:s3/bucketV2:BucketV2", delete=deleted_by(_delete_bucket, order=5))
def bucket(ctx: DeployContext, resource: Resource) -> Created:
    s3 = ctx.aws("s3")
    name = ctx.name(resource, explicit="bucket", prefix_input="bucketPrefix", max_length=63,
                    lower=True)  # fmt: skip
    try:
        s3.create_bucket(Bucket=name)
    except Exception as error:
        if error_code(error) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise fail(resource, f"CreateBucket {name}", error) from error
    tags = resource.inputs.get("tags") or {}
    if tags:
        s3.put_bucket_tagging(
            Bucket=name,
            Tagging={"TagSet": [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]},
        )
    region = ctx.region
    return Created(
        id=name,
        outputs={
            "bucket": name,
            "arn": f"arn:aws:s3:::{name}",
            "region": region,
            "bucketDomainName": f"{name}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
            "hostedZoneId": "Z3AQBSTGFYJSTF",
        },
    )


def _setting(
    type_token: str,
    action: str,
    call: Callable[[Any, str, dict[str, Any]], None],
    remove: Callable[[Any, str], Any],
) -> None:
    """Register a handler for one bucket sub-resource: ``call(s3, bucket, inputs)``, and
    ``remove(s3, bucket)`` to take the setting off the bucket when it is no longer declared."""

    def delete(ctx: DeployContext, record: Record) -> None:
        remove(ctx.aws("s3"), record["id"])

    def handler(ctx: DeployContext, resource: Resource) -> Created:
        name = str(resource.inputs["bucket"])
        try:
            call(ctx.aws("s3"), name, resource.inputs)
        except Exception as error:
            raise fail(resource, f"{action} on bucket {name}", error) from error
        return Created(id=name)

    handles(type_token, delete=deleted_by(delete, order=0))(handler)


_setting(
    "aws:s3/bucketVersioning:BucketVersioning",
    "PutBucketVersioning",
    lambda s3, b, i: s3.put_bucket_versioning(
        Bucket=b,
        VersioningConfiguration={"Status": i["versioningConfiguration"].get("status", "Enabled")},
    ),
    lambda s3, b: s3.put_bucket_versioning(
        Bucket=b, VersioningConfiguration={"Status": "Suspended"}
    ),
)
_setting(
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "PutPublicAccessBlock",
    lambda s3, b, i: s3.put_public_access_block(
        Bucket=b,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": bool(i.get("blockPublicAcls")),
            "IgnorePublicAcls": bool(i.get("ignorePublicAcls")),
            "BlockPublicPolicy": bool(i.get("blockPublicPolicy")),
            "RestrictPublicBuckets": bool(i.get("restrictPublicBuckets")),
        },
    ),
    lambda s3, b: s3.delete_public_access_block(Bucket=b),
)
_setting(
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "PutBucketOwnershipControls",
    lambda s3, b, i: s3.put_bucket_ownership_controls(
        Bucket=b, OwnershipControls={"Rules": [pascal(i["rule"])]}
    ),
    lambda s3, b: s3.delete_bucket_ownership_controls(Bucket=b),
)
_setting(
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "PutBucketEncryption",
    lambda s3, b, i: s3.put_bucket_encryption(
        Bucket=b, ServerSideEncryptionConfiguration={"Rules": pascal(i["rules"])}
    ),
    lambda s3, b: s3.delete_bucket_encryption(Bucket=b),
)


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    shaped = pascal(rule)
    if "Filter" not in shaped:
        shaped["Filter"] = {"Prefix": ""}
    return dict(shaped)


_setting(
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "PutBucketLifecycleConfiguration",
    lambda s3, b, i: s3.put_bucket_lifecycle_configuration(
        Bucket=b, LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in i["rules"]]}
    ),
    lambda s3, b: s3.delete_bucket_lifecycle(Bucket=b),
)
_setting(
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
    "PutBucketCors",
    lambda s3, b, i: s3.put_bucket_cors(
        Bucket=b, CORSConfiguration={"CORSRules": pascal(i["corsRules"])}
    ),
    lambda s3, b: s3.delete_bucket_cors(Bucket=b),
)
_setting(
    "aws:s3/bucketLogging:BucketLogging",
    "PutBucketLogging",
    lambda s3, b, i: s3.put_bucket_logging(
        Bucket=b,
        BucketLoggingStatus={
            "LoggingEnabled": {
                "TargetBucket": str(i["targetBucket"]),
                "TargetPrefix": str(i.get("targetPrefix") or ""),
            }
        },
    ),
    lambda s3, b: s3.put_bucket_logging(Bucket=b, BucketLoggingStatus={}),
)


def _tls_only(statement: dict[str, Any]) -> bool:
    """``Deny ... when aws:SecureTransport is false``: the usual "TLS only" statement."""
    condition = statement.get("Condition") or {}
    secure = {k.lower(): v for k, v in (condition.get("Bool") or {}).items()}
    return (
        statement.get("Effect") == "Deny"
        and list(condition) == ["Bool"]
        and list(secure) == ["aws:securetransport"]
        and str(secure["aws:securetransport"]).lower() == "false"
    )


def local_bucket_policy(policy: str) -> tuple[str | None, list[str]]:
    """The policy without its TLS-only denials (the local cloud speaks plain HTTP, so they would
    deny every request), and the ``Sid`` of each statement dropped."""
    document = json.loads(policy)
    statements = document.get("Statement") or []
    statements = [statements] if isinstance(statements, dict) else statements
    kept = [s for s in statements if not _tls_only(s)]
    dropped = [str(s.get("Sid") or "(no Sid)") for s in statements if _tls_only(s)]
    if not kept:
        return None, dropped
    return json.dumps({**document, "Statement": kept}), dropped


def _delete_bucket_policy(ctx: DeployContext, record: Record) -> None:
    ctx.aws("s3").delete_bucket_policy(Bucket=record["id"])


@handles("aws:s3/bucketPolicy:BucketPolicy", delete=deleted_by(_delete_bucket_policy, order=0))
def bucket_policy(ctx: DeployContext, resource: Resource) -> Created:
    name = str(resource.inputs["bucket"])
    policy, dropped = local_bucket_policy(str(resource.inputs["policy"]))
    s3 = ctx.aws("s3")
    try:
        if policy is None:
            s3.delete_bucket_policy(Bucket=name)
        else:
            s3.put_bucket_policy(Bucket=name, Policy=policy)
    except Exception as error:
        raise fail(resource, f"PutBucketPolicy on bucket {name}", error) from error
    adapted = None
    if dropped:
        adapted = (
            f"TLS-only statement(s) {', '.join(dropped)} left out: the local cloud speaks "
            "plain HTTP (on AWS they deny requests without TLS)"
        )
    return Created(id=name, adapted=adapted)


def _filter(item: dict[str, Any]) -> dict[str, Any]:
    rules = []
    if item.get("filterPrefix"):
        rules.append({"Name": "prefix", "Value": str(item["filterPrefix"])})
    if item.get("filterSuffix"):
        rules.append({"Name": "suffix", "Value": str(item["filterSuffix"])})
    return {"Filter": {"Key": {"FilterRules": rules}}} if rules else {}


def _notification(s3: Any, bucket_name: str, inputs: dict[str, Any]) -> None:
    config: dict[str, Any] = {}
    for key, wire, arn_key, arn_wire in (
        ("queues", "QueueConfigurations", "queueArn", "QueueArn"),
        ("lambdaFunctions", "LambdaFunctionConfigurations", "lambdaFunctionArn",
         "LambdaFunctionArn"),
        ("topics", "TopicConfigurations", "topicArn", "TopicArn"),
    ):  # fmt: skip
        items = inputs.get(key) or []
        if items:
            config[wire] = [
                {
                    **({"Id": str(item["id"])} if item.get("id") else {}),
                    arn_wire: str(item[arn_key]),
                    "Events": list(item["events"]),
                    **_filter(item),
                }
                for item in items
            ]
    if inputs.get("eventbridge"):
        config["EventBridgeConfiguration"] = {}
    s3.put_bucket_notification_configuration(Bucket=bucket_name, NotificationConfiguration=config)


_setting(
    "aws:s3/bucketNotification:BucketNotification",
    "PutBucketNotificationConfiguration",
    _notification,
    lambda s3, b: s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration={}),
)
