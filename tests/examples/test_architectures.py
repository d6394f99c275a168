"""The four reference architectures as example programs: each runs under mocks on dev and prod,
passes every policy rule, and provisions what its architecture relies on."""

from __future__ import annotations

import json

import pytest

from hybridstack.policy import check_resources
from tests.examples.architectures import EXAMPLES, ExampleRun, run_example

ARCHITECTURES = ("music-analytics", "messaging-media", "social-saas", "iot-audio")
STACKS = ("dev", "prod")

_runs: dict[tuple[str, str], ExampleRun] = {}


def example(name: str, stack: str) -> ExampleRun:
    if (name, stack) not in _runs:
        _runs[(name, stack)] = run_example(name, stack)
    return _runs[(name, stack)]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_example_passes_every_policy(name: str, stack: str) -> None:
    run = example(name, stack)
    assert run.of_type("aws:lambda/function:Function"), "the example declared no function"
    assert check_resources(run.resources, stack=stack, public_routes=run.public_routes) == []


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_example_is_a_pulumi_project(name: str) -> None:
    project = (EXAMPLES / name / "Pulumi.yaml").read_text()
    assert "runtime:" in project
    assert "name: python" in project
    docstring = (EXAMPLES / name / "__main__.py").read_text().split('"""')[1]
    assert "Reference architecture" in docstring


# -- D: IoT audio ------------------------------------------------------------------------------


def test_iot_audio_trusts_cognito_tokens_and_serves_one_app() -> None:
    run = example("iot-audio", "dev")
    (authorizer,) = run.of_type("aws:apigatewayv2/authorizer:Authorizer")
    issuer = authorizer.inputs["jwtConfiguration"]["issuer"]
    assert issuer.startswith("https://cognito-idp.us-east-1.amazonaws.com/")
    routes = {r.inputs["routeKey"]: r for r in run.of_type("aws:apigatewayv2/route:Route")}
    assert routes["ANY /{proxy+}"].inputs["authorizationType"] == "JWT"
    assert run.public_routes == ["GET /health"]
    (function,) = run.of_type("aws:lambda/function:Function")
    variables = function.inputs["environment"]["variables"]
    assert {"IOT_TABLE_NAME", "AUDIO_BUCKET_NAME", "OAUTH_TOKENS_SECRET_ARN"} <= set(variables)


@pytest.mark.parametrize(
    ("stack", "retention", "cdn", "pitr"), [("dev", 7, False, False), ("prod", 30, True, True)]
)
def test_iot_audio_dev_and_prod_differ_as_the_architecture_says(
    stack: str, retention: int, cdn: bool, pitr: bool
) -> None:
    run = example("iot-audio", stack)
    groups = run.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert {g.inputs["retentionInDays"] for g in groups} == {retention}
    assert bool(run.of_type("aws:cloudfront/distribution:Distribution")) is cdn
    (table,) = run.of_type("aws:dynamodb/table:Table")
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["pointInTimeRecovery"]["enabled"] is pitr
    versioning = run.of_type("aws:s3/bucketVersioning:BucketVersioning")
    audio_versioned = any(
        v.inputs["versioningConfiguration"]["status"] == "Enabled"
        for v in versioning
        if v.inputs["bucket"].startswith("audio")
    )
    assert audio_versioned is (stack == "prod")


# -- C: social-content SaaS --------------------------------------------------------------------


def test_social_saas_keeps_tokens_under_kms_and_only_webhooks_public() -> None:
    run = example("social-saas", "prod")
    assert sorted(run.public_routes) == [
        "GET /health",
        "GET /oauth/{provider}/callback",
        "POST /webhooks/billing",
    ]
    (key,) = [k for k in run.of_type("aws:kms/key:Key") if k.name == "social-tokens"]
    assert key.inputs["enableKeyRotation"] is True
    policies = {
        p.name: json.loads(p.inputs["policy"]) for p in run.of_type("aws:iam/rolePolicy:RolePolicy")
    }
    may_decrypt = sorted(
        name
        for name, doc in policies.items()
        if any("kms:Decrypt" in s["Action"] for s in doc["Statement"])
    )
    assert may_decrypt == ["oauth", "posting"]
    idps = run.of_type("gcp:identityplatform/defaultSupportedIdpConfig:DefaultSupportedIdpConfig")
    assert sorted(i.inputs["idpId"] for i in idps) == [
        "facebook.com",
        "google.com",
        "linkedin.com",
    ]


def test_social_saas_publishes_due_posts_every_minute_with_a_dead_letter_queue() -> None:
    run = example("social-saas", "dev")
    (rule,) = run.of_type("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["scheduleExpression"] == "rate(1 minute)"
    (target,) = run.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert json.loads(target.inputs["input"]) == {"action": "publish_due_posts"}
    assert target.inputs["deadLetterConfig"]["arn"]
    (budget,) = run.of_type("aws:budgets/budget:Budget")
    thresholds = sorted(
        n["threshold"] for n in budget.inputs["notifications"] if n["notificationType"] == "ACTUAL"
    )
    assert thresholds == [25, 50, 80, 100, 120]


# -- B: messaging with a media pipeline --------------------------------------------------------


def test_messaging_media_caches_images_long_and_video_short() -> None:
    run = example("messaging-media", "dev")
    (distribution,) = run.of_type("aws:cloudfront/distribution:Distribution")
    policies = {p.id: p for p in run.of_type("aws:cloudfront/cachePolicy:CachePolicy")}
    ttl = {
        b["pathPattern"]: policies[b["cachePolicyId"]].inputs["defaultTtl"]
        for b in distribution.inputs["orderedCacheBehaviors"]
    }
    assert ttl["images/thumbnails/*"] >= 7 * 86400
    assert ttl["videos/*"] <= 3600
    assert all(b["compress"] for b in distribution.inputs["orderedCacheBehaviors"])


def test_messaging_media_chat_data_is_members_only_and_typing_expires() -> None:
    run = example("messaging-media", "prod")
    (ruleset,) = run.of_type("gcp:firebaserules/ruleset:Ruleset")
    rules = ruleset.inputs["source"]["files"][0]["content"]
    assert "isMember(conversation)" in rules
    (ttl,) = run.of_type("gcp:firestore/field:Field")
    assert (ttl.inputs["collection"], ttl.inputs["field"]) == ("typing", "expireAt")
    (index,) = run.of_type("gcp:firestore/index:Index")
    assert index.inputs["queryScope"] == "COLLECTION_GROUP"


def test_messaging_media_api_is_authorized_throttled_and_alarmed() -> None:
    run = example("messaging-media", "dev")
    routes = {r.inputs["routeKey"]: r for r in run.of_type("aws:apigatewayv2/route:Route")}
    for key in ("POST /media/upload", "GET /media/{media_id}", "DELETE /media/{media_id}"):
        assert routes[key].inputs["authorizationType"] == "JWT"
    (stage,) = run.of_type("aws:apigatewayv2/stage:Stage")
    assert stage.inputs["defaultRouteSettings"]["throttlingRateLimit"] == 20
    (budget,) = run.of_type("aws:budgets/budget:Budget")
    assert float(budget.inputs["limitAmount"]) == 200
    alarms = run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    latency = [a for a in alarms if "latency" in a.name]
    assert [a.inputs["threshold"] for a in latency] == [500]


# -- A: music distribution and analytics -------------------------------------------------------


def test_music_has_two_apis_each_throttled_on_its_own() -> None:
    run = example("music-analytics", "dev")
    stages = {s.name: s for s in run.of_type("aws:apigatewayv2/stage:Stage")}
    assert stages["core"].inputs["defaultRouteSettings"]["throttlingRateLimit"] == 100
    assert stages["radio"].inputs["defaultRouteSettings"]["throttlingRateLimit"] == 500
    assert run.public_routes == ["GET /health"]


def test_music_uploads_go_firebase_storage_to_s3_through_a_google_signed_push() -> None:
    run = example("music-analytics", "prod")
    subscriptions = run.of_type("gcp:pubsub/subscription:Subscription")
    (subscription,) = [s for s in subscriptions if s.inputs.get("pushConfig")]
    push = subscription.inputs["pushConfig"]
    assert push["pushEndpoint"].endswith("/media/sync")
    assert push["oidcToken"]["audience"] == push["pushEndpoint"]
    assert subscription.inputs["deadLetterPolicy"]["maxDeliveryAttempts"] >= 5
    authorizers = {a.id: a for a in run.of_type("aws:apigatewayv2/authorizer:Authorizer")}
    routes = {r.inputs["routeKey"]: r for r in run.of_type("aws:apigatewayv2/route:Route")}
    sync = authorizers[routes["POST /media/sync"].inputs["authorizerId"]]
    assert sync.inputs["jwtConfiguration"] == {
        "issuer": "https://accounts.google.com",
        "audiences": [push["pushEndpoint"]],
    }


def test_music_collects_each_source_on_its_own_schedule() -> None:
    run = example("music-analytics", "dev")
    rules = sorted(
        r.inputs["scheduleExpression"] for r in run.of_type("aws:cloudwatch/eventRule:EventRule")
    )
    assert rules == ["cron(0 2 * * ? *)", "cron(0 3 * * ? *)", "cron(0 4 * * ? *)"]
    inputs = sorted(
        json.loads(t.inputs["input"])["sources"][0]
        for t in run.of_type("aws:cloudwatch/eventTarget:EventTarget")
    )
    assert inputs == ["spotify", "tiktok", "youtube"]


def test_music_catalog_is_encrypted_with_the_platform_key_and_protected_in_prod() -> None:
    run = example("music-analytics", "prod")
    (cluster,) = run.of_type("aws:rds/cluster:Cluster")
    (key,) = [k for k in run.of_type("aws:kms/key:Key") if k.name == "music-data"]
    assert cluster.inputs["kmsKeyId"] == key.outputs["arn"]
    assert cluster.inputs["storageEncrypted"] is True
    assert cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["backupRetentionPeriod"] >= 7
