"""SecureBucket: encrypted, private, TLS-only, versioned; least-privilege links."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.secure_bucket import SecureBucket, cloudfront_read_statement
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks


def _one(resources: list[Any], token: str) -> Any:
    (found,) = of_type(resources, token)
    return found


def test_defaults_encrypt_block_public_access_enforce_ownership_and_deny_non_tls() -> None:
    resources = run_under_mocks(lambda: SecureBucket("media"))
    bucket = _one(resources, "aws:s3/bucket:Bucket")
    arn = bucket.outputs["arn"]
    sse = _one(
        resources,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "AES256"
    }
    block = _one(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[flag] is True
    ownership = _one(resources, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = _one(resources, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    policy = json.loads(_one(resources, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [arn, f"{arn}/*"]
    lifecycle = _one(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert {r["id"] for r in lifecycle.inputs["rules"]} == {
        "abort-incomplete-multipart-uploads",
        "expire-noncurrent-versions",
    }


def test_kms_key_switches_to_sse_kms_with_bucket_key() -> None:
    key = "arn:aws:kms:us-east-1:000000000000:key/k"
    resources = run_under_mocks(lambda: SecureBucket("media", {"kms_key_arn": key}))
    sse = _one(
        resources,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    rule = sse.inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key,
    }
    assert rule["bucketKeyEnabled"] is True


def test_force_destroy_is_off_in_prod() -> None:
    for stack, expected in (("dev", True), ("prod", False)):
        resources = run_under_mocks(lambda: SecureBucket("media"), stack=stack)
        assert _one(resources, "aws:s3/bucket:Bucket").inputs["forceDestroy"] is expected


def test_deferred_policy_keeps_deny_non_tls_and_adds_cloudfront_read() -> None:
    def program() -> None:
        bucket = SecureBucket("site", {"defer_policy": True})
        bucket.attach_policy([cloudfront_read_statement(bucket.arn, "arn:aws:cloudfront::1:d/X")])

    resources = run_under_mocks(program)
    statements = json.loads(_one(resources, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])[
        "Statement"
    ]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "AllowCloudFrontRead"]
    assert statements[1]["Condition"] == {
        "StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::1:d/X"}
    }


def test_a_second_policy_is_refused() -> None:
    with pytest.raises(ComponentArgsError, match="one policy per bucket"):
        run_under_mocks(lambda: SecureBucket("media").attach_policy([]))


def test_link_grants_objects_of_this_bucket_and_sets_its_name() -> None:
    captured: dict[str, Any] = {}

    def program() -> None:
        bucket = SecureBucket("media")
        captured["spec"] = bucket.read_only()

    run_under_mocks(program)
    spec = captured["spec"]
    assert [list(s.actions) for s in spec.statements] == [["s3:GetObject"], ["s3:ListBucket"]]
    assert list(spec.environment) == ["MEDIA_BUCKET_NAME"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"cors_rules": [{"allowed_methods": ["GET"]}]}, r"cors_rules\[0\] needs"),
        ({"lifecycle_rules": [{"status": "Enabled"}]}, r"lifecycle_rules entry needs a unique"),
        ({"noncurrent_version_days": -1}, r"noncurrent_version_days=-1"),
    ],
)
def test_bad_arguments_are_named_before_anything_registers(
    args: dict[str, Any], message: str
) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(lambda: SecureBucket("media", args), mocks=mocks)
    assert mocks.resources == []


def test_transform_reaches_the_bucket_and_cors_logging_are_optional() -> None:
    resources = run_under_mocks(
        lambda: SecureBucket(
            "media",
            {
                "cors_rules": [{"allowed_methods": ["PUT"], "allowed_origins": ["https://a.b"]}],
                "access_log_bucket": "logs",
            },
            transform={"bucket": lambda a: {**a, "tags": {"team": "media"}}},
        )
    )
    assert _one(resources, "aws:s3/bucket:Bucket").inputs["tags"] == {"team": "media"}
    cors = _one(resources, "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")
    assert cors.inputs["corsRules"][0]["allowedOrigins"] == ["https://a.b"]
    logging = _one(resources, "aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["targetBucket"] == "logs"
    assert logging.inputs["targetPrefix"] == "media/"
