"""MediaStore: safe media bucket, per-prefix CDN caching, processing via SQS, Firebase sync."""

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.cross_cloud_access import CrossCloudAccess
from hybridstack.components.http_api import HttpApi
from hybridstack.components.jwt_authorizer import JwtAuthorizerConfig
from hybridstack.components.media_store import (
    CACHE_BEHAVIOURS,
    LONG,
    PROCESSING_PREFIXES,
    SHORT,
    MediaStore,
    cache_behaviours,
    function_role_names,
    lifecycle_rules,
)
from hybridstack.policy import check_resources
from hybridstack.testing import RecordingMocks, RegisteredResource, of_type, run_under_mocks
from tests.unit.components.aws_helpers import make_code_root, policy_statements

PROCESS = "app.svc.media.handler.process"
SYNC = "app.svc.health.handler.handle"


@pytest.fixture
def code_root(tmp_path: Path) -> Path:
    return make_code_root(tmp_path)


def _fn_args(code_root: Path) -> dict[str, Any]:
    return {"code_root": str(code_root), "layer": False}


def _record(seen: dict[str, Any], key: str, value: Any) -> None:
    """Put the resolved ``value`` (a plain value or an output) in ``seen[key]``."""
    pulumi.Output.from_input(value).apply(lambda v: seen.__setitem__(key, v))


def _aws_only(code_root: Path, **extra: Any) -> Any:
    def program() -> MediaStore:
        return MediaStore(
            "media", {"processing_handler": PROCESS, "processing": _fn_args(code_root), **extra}
        )

    return program


def _hybrid(code_root: Path, project: str = "acme", trust: bool = True, **extra: Any) -> Any:
    def program() -> MediaStore:
        api = HttpApi("api", {"authorizer": JwtAuthorizerConfig.firebase(project)})
        roles = list(function_role_names("media").values()) if trust else ["someone-else"]
        access = CrossCloudAccess("xc", {"project": project, "trusted_aws_roles": roles})
        return MediaStore(
            "media",
            {
                "processing_handler": PROCESS,
                "processing": _fn_args(code_root),
                "cors_origins": ["https://app.acme.com", "capacitor://localhost"],
                "uploads": {
                    "sync_handler": SYNC,
                    "sync": _fn_args(code_root),
                    "project": project,
                    "api": api,
                    "access": access,
                },
                **extra,
            },
        )

    return program


def _media_bucket(resources: list[RegisteredResource]) -> RegisteredResource:
    (bucket,) = [r for r in of_type(resources, "aws:s3/bucket:Bucket") if r.name == "media"]
    return bucket


def _for_bucket(resources: list[RegisteredResource], type_token: str) -> RegisteredResource:
    (found,) = [r for r in of_type(resources, type_token) if r.name == "media"]
    return found


def test_bucket_is_private_encrypted_versioned_tls_only_and_logged(code_root: Path) -> None:
    resources = run_under_mocks(_aws_only(code_root))
    bucket = _media_bucket(resources)
    policy = _for_bucket(resources, "aws:s3/bucketPolicy:BucketPolicy")
    statements = policy_statements(policy)
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny[0]["Action"] == "s3:*"
    (cdn_read,) = [s for s in statements if s["Effect"] == "Allow"]
    (distribution,) = of_type(resources, "aws:cloudfront/distribution:Distribution")
    assert cdn_read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert cdn_read["Condition"]["StringEquals"]["AWS:SourceArn"] == distribution.outputs["arn"]
    block = _for_bucket(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block.inputs[k] is True
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    versioning = _for_bucket(resources, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    logging = _for_bucket(resources, "aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["targetBucket"] != bucket.outputs["bucket"]
    assert logging.inputs["targetBucket"].startswith("media-logs")
    lifecycle = _for_bucket(
        resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    )
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    assert rules["archive-images-original"]["filter"] == {"prefix": "images/original/"}
    assert [t["storageClass"] for t in rules["archive-videos-original"]["transitions"]] == [
        "STANDARD_IA", "GLACIER_IR",
    ]  # fmt: skip
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {
        "noncurrentDays": 30
    }
    # The log bucket lets S3 logging write, for this bucket only.
    log_policy = [
        r for r in of_type(resources, "aws:s3/bucketPolicy:BucketPolicy") if r.name == "media-logs"
    ]
    (log_statement,) = [s for s in policy_statements(log_policy[0]) if s["Effect"] == "Allow"]
    assert log_statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert log_statement["Condition"]["ArnLike"]["aws:SourceArn"] == bucket.outputs["arn"]


def test_cloudfront_caches_images_long_and_videos_short_with_compression(code_root: Path) -> None:
    resources = run_under_mocks(_aws_only(code_root))
    (distribution,) = of_type(resources, "aws:cloudfront/distribution:Distribution")
    (oac,) = of_type(resources, "aws:cloudfront/originAccessControl:OriginAccessControl")
    assert oac.inputs["signingBehavior"] == "always"
    (origin,) = distribution.inputs["origins"]
    assert origin["originAccessControlId"] == oac.id
    policies = {p.id: p for p in of_type(resources, "aws:cloudfront/cachePolicy:CachePolicy")}
    behaviours = {b["pathPattern"]: b for b in distribution.inputs["orderedCacheBehaviors"]}
    assert list(behaviours) == [pattern for pattern, _ in CACHE_BEHAVIOURS]

    def ttl(pattern: str) -> int:
        return int(policies[behaviours[pattern]["cachePolicyId"]].inputs["defaultTtl"])

    assert ttl("images/*") == ttl("images/thumbnails/*") == LONG.default_ttl
    assert ttl("videos/*") == SHORT.default_ttl
    assert ttl("images/*") > ttl("videos/*")
    assert all(b["compress"] is True for b in behaviours.values())
    assert all(b["viewerProtocolPolicy"] == "redirect-to-https" for b in behaviours.values())
    long_policy = policies[behaviours["images/*"]["cachePolicyId"]]
    keys = long_policy.inputs["parametersInCacheKeyAndForwardedToOrigin"]
    assert keys["enableAcceptEncodingBrotli"] is True
    assert keys["enableAcceptEncodingGzip"] is True


def test_uploads_reach_the_processor_through_sqs_with_dlq(code_root: Path) -> None:
    resources = run_under_mocks(_aws_only(code_root))
    (notification,) = of_type(resources, "aws:s3/bucketNotification:BucketNotification")
    queues = notification.inputs["queues"]
    assert [q["filterPrefix"] for q in queues] == list(PROCESSING_PREFIXES)
    assert {tuple(q["events"]) for q in queues} == {("s3:ObjectCreated:*",)}
    uploads = [
        r
        for r in of_type(resources, "aws:sqs/queue:Queue")
        if r.outputs["arn"] == queues[0]["queueArn"]
    ]
    (queue,) = uploads
    redrive = json.loads(queue.inputs["redrivePolicy"])
    assert redrive["maxReceiveCount"] == 3
    (queue_policy,) = of_type(resources, "aws:sqs/queuePolicy:QueuePolicy")
    (allow,) = policy_statements(queue_policy)
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert (
        allow["Condition"]["ArnEquals"]["aws:SourceArn"] == _media_bucket(resources).outputs["arn"]
    )
    (mapping,) = of_type(resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["eventSourceArn"] == queue.outputs["arn"]
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["batchSize"] == 5
    # Derived prefixes never trigger processing (no loop).
    for derived in ("images/thumbnails/", "videos/hls/", "voice/compressed/"):
        assert not any(derived.startswith(p) for p in PROCESSING_PREFIXES)


def test_processor_role_is_named_and_may_use_the_bucket(code_root: Path) -> None:
    resources = run_under_mocks(_aws_only(code_root), stack="dev")
    roles = {r.inputs.get("name") for r in of_type(resources, "aws:iam/role:Role")}
    assert "media-processor-dev" in roles
    (fn,) = of_type(resources, "aws:lambda/function:Function")
    env = fn.inputs["environment"]["variables"]
    assert env["MEDIA_BUCKET_NAME"] == _media_bucket(resources).outputs["bucket"]


def test_firebase_uploads_are_pushed_to_aws_with_oidc_and_dead_letters(code_root: Path) -> None:
    resources = run_under_mocks(_hybrid(code_root))
    (fb_bucket,) = of_type(resources, "gcp:storage/bucket:Bucket")
    assert fb_bucket.inputs["publicAccessPrevention"] == "enforced"
    assert fb_bucket.inputs["uniformBucketLevelAccess"] is True
    (registration,) = of_type(resources, "gcp:firebase/storageBucket:StorageBucket")
    assert registration.inputs["bucketId"] == fb_bucket.outputs["name"]
    (notification,) = of_type(resources, "gcp:storage/notification:Notification")
    assert notification.inputs["eventTypes"] == ["OBJECT_FINALIZE"]
    topics = {t.name: t for t in of_type(resources, "gcp:pubsub/topic:Topic")}
    assert notification.inputs["topic"] == topics["media-uploads"].outputs["id"]

    subscriptions = {s.name: s for s in of_type(resources, "gcp:pubsub/subscription:Subscription")}
    push = subscriptions["media-uploads-to-aws"]
    endpoint = "https://api.execute-api.us-east-1.amazonaws.com/media/sync"
    assert push.inputs["pushConfig"]["pushEndpoint"] == endpoint
    (push_account,) = [
        a
        for a in of_type(resources, "gcp:serviceaccount/account:Account")
        if a.name == "media-push"
    ]
    assert push.inputs["pushConfig"]["oidcToken"] == {
        "serviceAccountEmail": push_account.outputs["email"],
        "audience": endpoint,
    }
    assert push.inputs["deadLetterPolicy"] == {
        "deadLetterTopic": topics["media-uploads-dead"].outputs["id"],
        "maxDeliveryAttempts": 5,
    }
    assert push.inputs["retryPolicy"] == {"minimumBackoff": "10s", "maximumBackoff": "600s"}
    # Dead letters are kept, not dropped.
    assert (
        subscriptions["media-uploads-dead"].inputs["topic"]
        == topics["media-uploads-dead"].outputs["id"]
    )

    # The route trusts Google-signed tokens for exactly that audience.
    (route,) = [
        r for r in of_type(resources, "aws:apigatewayv2/route:Route")
        if r.inputs["routeKey"] == "POST /media/sync"
    ]  # fmt: skip
    assert route.inputs["authorizationType"] == "JWT"
    (authorizer,) = [
        a for a in of_type(resources, "aws:apigatewayv2/authorizer:Authorizer")
        if a.id == route.inputs["authorizerId"]
    ]  # fmt: skip
    assert authorizer.inputs["jwtConfiguration"] == {
        "issuer": "https://accounts.google.com",
        "audiences": [endpoint],
    }
    # The sync function knows whom to expect and can read Firebase Storage via federation.
    (sync,) = [
        f for f in of_type(resources, "aws:lambda/function:Function")
        if "MEDIA_PUSH_SERVICE_ACCOUNT" in f.inputs["environment"]["variables"]
    ]  # fmt: skip
    env = sync.inputs["environment"]["variables"]
    assert env["MEDIA_PUSH_SERVICE_ACCOUNT"] == push_account.outputs["email"]
    assert env["MEDIA_FIREBASE_BUCKET"] == fb_bucket.outputs["name"]
    assert json.loads(env["XC_GCP_CREDENTIALS"])["type"] == "external_account"
    (reader,) = of_type(resources, "gcp:storage/bucketIAMMember:BucketIAMMember")
    assert reader.inputs["role"] == "roles/storage.objectViewer"
    assert reader.inputs["member"] == "serviceAccount:xc-cross@acme.iam.gserviceaccount.com"
    assert not [r for r in resources if r.type.startswith("gcp:serviceaccount/key:")]


def test_link_spec_names_bucket_cdn_and_firebase_bucket(code_root: Path) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        media = _hybrid(code_root)()
        spec = media.link_spec()
        actions = sorted({a for s in spec.statements for a in s.actions})
        seen["actions"] = actions
        seen["read_actions"] = sorted({a for s in media.read_only().statements for a in s.actions})
        for key, value in spec.environment.items():
            _record(seen, key, value)

    run_under_mocks(program)
    assert seen["MEDIA_BUCKET"] == seen["MEDIA_BUCKET_NAME"]
    assert seen["MEDIA_CDN_URL"] == "https://media.cloudfront.net"
    assert seen["MEDIA_FIREBASE_BUCKET"]
    assert "s3:PutObject" in seen["actions"]
    assert "s3:PutObject" not in seen["read_actions"]


def test_no_cdn_means_no_distribution(code_root: Path) -> None:
    resources = run_under_mocks(_aws_only(code_root, cdn=False))
    assert not of_type(resources, "aws:cloudfront/distribution:Distribution")
    policy = _for_bucket(resources, "aws:s3/bucketPolicy:BucketPolicy")
    assert [s["Effect"] for s in policy_statements(policy)] == ["Deny"]


def test_cache_table_refuses_shadowed_patterns() -> None:
    assert cache_behaviours() == list(CACHE_BEHAVIOURS)
    with pytest.raises(ValueError, match="shadowed by the earlier 'images/\\*'"):
        cache_behaviours([("images/*", LONG), ("images/thumbnails/*", LONG)])
    with pytest.raises(ValueError, match="twice"):
        cache_behaviours([("a/*", LONG), ("a/*", SHORT)])


def test_lifecycle_skips_ia_when_archiving_first() -> None:
    (rule, *_) = lifecycle_rules(archive_after_days=30, infrequent_access_after_days=60)
    assert rule["transitions"] == [{"days": 30, "storage_class": "GLACIER_IR"}]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"cors_origins": ["*"]}, "cors_origins entry '\\*'"),
        ({"price_class": "cheap"}, "price_class='cheap'; use one of"),
        ({"processing_batch_size": 50}, "processing_batch_size=50"),
        ({"sync_handler": SYNC}, "unknown argument 'sync_handler'"),
        ({"uploads": {"project": "acme"}}, r"uploads: missing required argument\(s\) api"),
        (
            {"uploads": {"project": "acme", "sync_handler": SYNC, "api": "https://x"}},
            "uploads: api must be the HttpApi",
        ),
        (
            {"uploads": {"project": "demo-a", "sync_handler": SYNC, "api": None, "sink": []}},
            "uploads: unknown argument 'sink'",
        ),
        ({"bucket": "x"}, "unknown argument 'bucket'"),
        ({"processing": {"handler": PROCESS}}, "give the handler as processing_handler"),
    ],
)
def test_invalid_arguments_are_named(code_root: Path, extra: dict[str, Any], message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(_aws_only(code_root, **extra), mocks=mocks)
    assert mocks.resources == []


def test_access_must_trust_the_sync_role(code_root: Path) -> None:
    mocks = RecordingMocks()
    with pytest.raises(
        ComponentArgsError, match="does not trust the sync function's role 'media-sync-dev'"
    ):
        run_under_mocks(_hybrid(code_root, trust=False), stack="dev", mocks=mocks)
    assert not [r for r in mocks.resources if r.type.startswith("hybridstack:index:MediaStore")]


def test_transform_reaches_the_distribution(code_root: Path) -> None:
    resources = run_under_mocks(
        _aws_only(code_root),
    )
    default = of_type(resources, "aws:cloudfront/distribution:Distribution")[0]
    assert default.inputs["priceClass"] == "PriceClass_100"

    def program() -> MediaStore:
        return MediaStore(
            "media",
            {"processing_handler": PROCESS, "processing": _fn_args(code_root)},
            transform={"distribution": lambda a: {**a, "price_class": "PriceClass_All"}},
        )

    (changed,) = of_type(run_under_mocks(program), "aws:cloudfront/distribution:Distribution")
    assert changed.inputs["priceClass"] == "PriceClass_All"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_whole_pipeline_passes_the_policy_checks(code_root: Path, stack: str) -> None:
    resources = run_under_mocks(_hybrid(code_root), stack=stack)
    assert check_resources(resources, stack=stack) == []


def test_demo_project_syncs_without_federation(code_root: Path) -> None:
    def program() -> MediaStore:
        api = HttpApi("api", {"authorizer": JwtAuthorizerConfig.firebase("demo-acme")})
        return MediaStore(
            "media",
            {
                "processing_handler": PROCESS,
                "processing": _fn_args(code_root),
                "uploads": {
                    "sync_handler": SYNC,
                    "sync": _fn_args(code_root),
                    "project": "demo-acme",
                    "api": api,
                },
            },
        )

    resources = run_under_mocks(program, stack="local")
    assert of_type(resources, "gcp:pubsub/subscription:Subscription")
    assert not of_type(resources, "gcp:storage/bucketIAMMember:BucketIAMMember")
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match="access \\(a CrossCloudAccess"):
        run_under_mocks(
            lambda: MediaStore(
                "media",
                {
                    "processing_handler": PROCESS,
                    "processing": _fn_args(code_root),
                    "uploads": {"sync_handler": SYNC, "project": "acme", "api": HttpApi("api", {})},
                },
            ),
            mocks=mocks,
        )
    assert [r for r in mocks.resources if r.type.startswith("hybridstack:index:MediaStore")] == []
