"""The whole reference program under Pulumi mocks, for each stack file: it registers the
platform, differs per environment the way the stack files say, passes every policy rule, and
refuses invalid config before anything registers."""

from __future__ import annotations

import runpy
from typing import Any

import pulumi
import pytest

from hybridstack.policy import check_resources
from hybridstack.testing import RecordingMocks, RegisteredResource, of_type, run_under_mocks
from reference_platform.config import StackConfigError
from reference_platform.program import PUBLIC_ROUTES, build_platform
from tests.unit.program.stacks import ROOT, STACKS, stack_config

Run = tuple[list[RegisteredResource], dict[str, Any]]


def _run(stack: str, overrides: dict[str, Any] | None = None) -> Run:
    outputs: dict[str, Any] = {}

    def program() -> pulumi.Output[Any]:
        platform = build_platform()
        return pulumi.Output.all(**platform.outputs()).apply(outputs.update)

    config = {**stack_config(stack), **(overrides or {})}
    return run_under_mocks(program, stack=stack, config=config), outputs


@pytest.fixture(scope="module", params=STACKS)
def stack_run(request: pytest.FixtureRequest) -> tuple[str, Run]:
    return request.param, _run(request.param)


def test_main_runs_the_platform_from_the_stack_config() -> None:
    resources = run_under_mocks(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        stack="dev",
        config=stack_config("dev"),
    )
    (api,) = of_type(resources, "aws:apigatewayv2/api:Api")
    routes = {r.inputs["routeKey"] for r in of_type(resources, "aws:apigatewayv2/route:Route")}
    assert {
        "GET /health",
        "GET /me",
        "GET /users/me",
        "POST /internal/users",
        "POST /conversations/{conversation_id}/messages",
        "POST /media/upload",
        "POST /media/sync",
    } <= routes
    assert api.inputs["protocolType"] == "HTTP"


def test_every_policy_rule_passes_on_every_stack(stack_run: tuple[str, Run]) -> None:
    stack, (resources, _) = stack_run
    assert check_resources(resources, stack=stack, public_routes=PUBLIC_ROUTES) == []


def test_outputs_give_clients_what_they_need(stack_run: tuple[str, Run]) -> None:
    stack, (_, outputs) = stack_run
    assert outputs["env"] == stack
    assert outputs["apiUrl"].startswith("https://")
    project = stack_config(stack)["hybridstack:firebase_project_id"]
    assert outputs["firebaseConfig"]["projectId"] == project
    assert outputs["jwtAudience"] == project
    assert outputs["publicRoutes"] == ["GET /health"]


def test_only_the_public_route_goes_without_an_authorizer(stack_run: tuple[str, Run]) -> None:
    stack, (resources, _) = stack_run
    authorizers = {
        a.id: a.inputs["jwtConfiguration"]
        for a in of_type(resources, "aws:apigatewayv2/authorizer:Authorizer")
    }
    project = stack_config(stack)["hybridstack:firebase_project_id"]
    config = stack_config(stack)
    issuer = config.get("hybridstack:identity_issuer") or config.get("hybridstack-local:issuer")
    firebase = {
        "issuer": issuer or f"https://securetoken.google.com/{project}",
        "audiences": [project],
    }
    for route in of_type(resources, "aws:apigatewayv2/route:Route"):
        key = route.inputs["routeKey"]
        if key in PUBLIC_ROUTES:
            assert route.inputs["authorizationType"] == "NONE"
            continue
        assert route.inputs["authorizationType"] == "JWT", key
        jwt = authorizers[route.inputs["authorizerId"]]
        if key in ("POST /media/sync", "POST /internal/users"):
            # Pub/Sub pushes and the Firebase registration hook: Google-signed, for that URL only
            assert jwt["issuer"] == "https://accounts.google.com"
            assert jwt["audiences"] == [outputs_api(resources) + key.split(" /", 1)[1]]
        else:
            assert jwt == firebase, key


def outputs_api(resources: list[RegisteredResource]) -> str:
    (stage,) = of_type(resources, "aws:apigatewayv2/stage:Stage")
    return str(stage.outputs["invokeUrl"])


def test_log_retention_follows_the_environment(stack_run: tuple[str, Run]) -> None:
    stack, (resources, _) = stack_run
    expected = 30 if stack in ("staging", "prod") else 7
    groups = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert groups
    assert {g.inputs["retentionInDays"] for g in groups} == {expected}


def test_data_protection_only_in_prod(stack_run: tuple[str, Run]) -> None:
    stack, (resources, _) = stack_run
    (database,) = of_type(resources, "gcp:firestore/database:Database")
    protected = stack == "prod"
    assert (database.inputs["deleteProtectionState"] == "DELETE_PROTECTION_ENABLED") is protected
    pitr = database.inputs["pointInTimeRecoveryEnablement"]
    assert (pitr == "POINT_IN_TIME_RECOVERY_ENABLED") is protected


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("hybridstack:media", {"retention_days": 0}, "hybridstack:media.retention_days = 0: "),
        ("hybridstack:database", "mysql", "hybridstack:database = 'mysql': "),
        ("hybridstack:analytics", {"schedule": "every hour"}, "hybridstack:analytics.schedule"),
    ],
)
def test_invalid_config_fails_before_any_resource_registers(
    key: str, value: Any, message: str
) -> None:
    mocks = RecordingMocks()
    with pytest.raises(StackConfigError) as caught:
        run_under_mocks(
            build_platform, stack="prod", config={**stack_config("prod"), key: value}, mocks=mocks
        )
    assert message in str(caught.value)
    assert "allowed" in str(caught.value)
    assert mocks.resources == []


def test_cloudfront_only_outside_dev_and_local(stack_run: tuple[str, Run]) -> None:
    stack, (resources, outputs) = stack_run
    distributions = of_type(resources, "aws:cloudfront/distribution:Distribution")
    if stack in ("staging", "prod"):
        assert distributions
        assert outputs["siteUrl"].startswith("https://")
    else:
        assert distributions == []  # architecture D: faster deploys without CloudFront
    assert outputs["siteBucket"]


def test_database_layer_follows_the_stack_file(stack_run: tuple[str, Run]) -> None:
    stack, (resources, _) = stack_run
    tables = of_type(resources, "aws:dynamodb/table:Table")
    clusters = of_type(resources, "aws:rds/cluster:Cluster")
    kind = stack_config(stack)["hybridstack:database"]
    assert bool(tables) is (kind in ("dynamodb", "both"))
    assert bool(clusters) is (kind in ("postgres", "both"))
    for cluster in clusters:
        assert cluster.inputs["enableHttpEndpoint"] is True  # the Data API, no VPC needed
        assert cluster.inputs["deletionProtection"] is (stack == "prod")


def test_alerts_reach_the_configured_address_within_the_configured_budget(
    stack_run: tuple[str, Run],
) -> None:
    stack, (resources, _) = stack_run
    alerts = stack_config(stack)["hybridstack:alerts"]
    (budget,) = of_type(resources, "aws:budgets/budget:Budget")
    assert float(budget.inputs["limitAmount"]) == float(alerts["budget_usd"])
    emails = [
        s.inputs["endpoint"]
        for s in of_type(resources, "aws:sns/topicSubscription:TopicSubscription")
        if s.inputs["protocol"] == "email"
    ]
    assert emails == [alerts["email"]]
    alarms = of_type(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")
    functions = of_type(resources, "aws:lambda/function:Function")
    assert len(alarms) >= 2 * len(functions) + 2  # errors + throttles each, API 5xx + latency


def _function(resources: list[RegisteredResource], name: str) -> RegisteredResource:
    (found,) = [r for r in of_type(resources, "aws:lambda/function:Function") if r.name == name]
    return found


def test_functions_get_the_settings_the_services_read(stack_run: tuple[str, Run]) -> None:
    from hybridstack.services.common import settings

    stack, (resources, _) = stack_run
    expected = {
        "api": {settings.REALTIME_PROJECT, settings.HYBRIDSTACK_ENV},
        "media-api": {
            settings.MEDIA_BUCKET,
            settings.DATABASE_TABLE,
            settings.IDEMPOTENCY_TABLE,
            settings.REALTIME_PROJECT,
            settings.REALTIME_DATABASE,
        },
        "media-processor": {
            settings.MEDIA_BUCKET,
            settings.DATABASE_TABLE,
            settings.IDEMPOTENCY_TABLE,
            settings.REALTIME_PROJECT,
            settings.HYBRIDSTACK_ENV,
        },
        "analytics": {settings.ANALYTICS_RAW_BUCKET, settings.DATABASE_TABLE},
        "identity-api": {settings.DATABASE_TABLE, settings.REALTIME_PROJECT, "XC_GOOGLE_CALLER"},
        "messaging-api": {
            settings.DATABASE_TABLE,
            settings.REALTIME_PROJECT,
            settings.MEDIA_BUCKET,
        },
    }
    for name, variables in expected.items():
        environment = _function(resources, name).inputs["environment"]["variables"]
        assert variables <= set(environment), (name, sorted(environment))
        assert environment[settings.HYBRIDSTACK_ENV] == stack
        assert any(key.endswith("_GCP_CREDENTIALS") for key in environment) or name == "analytics"


def test_media_uploads_are_processed_through_a_queue_with_a_dead_letter_queue(
    stack_run: tuple[str, Run],
) -> None:
    _, (resources, _) = stack_run
    (notification,) = of_type(resources, "aws:s3/bucketNotification:BucketNotification")
    assert notification.inputs["queues"]
    assert "lambdaFunctions" not in notification.inputs  # S3 -> SQS -> Lambda, never direct
    (mapping,) = [
        m
        for m in of_type(resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
        if "media-processor" in str(m.inputs["functionName"])
    ]
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    routes = {r.inputs["routeKey"]: r for r in of_type(resources, "aws:apigatewayv2/route:Route")}
    for key in ("POST /media/upload", "GET /media/{media_id}", "DELETE /media/{media_id}"):
        assert routes[key].inputs["authorizationType"] == "JWT"


def test_analytics_collector_reads_only_its_source_tokens(stack_run: tuple[str, Run]) -> None:
    """... and, where aggregates go to PostgreSQL, the Aurora cluster's own secret."""
    import json

    _, (resources, _) = stack_run
    collector = _function(resources, "analytics")
    assert collector.inputs["handler"] == "hybridstack.services.analytics.jobs.run"
    environment = collector.inputs["environment"]["variables"]
    secrets = {s.name: s for s in of_type(resources, "aws:secretsmanager/secret:Secret")}
    for source in ("youtube", "spotify", "tiktok"):
        assert (
            environment[f"{source.upper()}_TOKEN_SECRET_ARN"]
            == secrets[f"{source}-token"].outputs["arn"]
        )
    readable = {
        resource
        for policy in of_type(resources, "aws:iam/rolePolicy:RolePolicy")
        if policy.name.startswith("analytics")
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        if "secretsmanager:GetSecretValue" in statement["Action"]
        for resource in statement["Resource"]
    }
    tokens = {secrets[f"{s}-token"].outputs["arn"] for s in ("youtube", "spotify", "tiktok")}
    clusters = of_type(resources, "aws:rds/cluster:Cluster")
    aggregates = {c.outputs["masterUserSecrets"][0]["secretArn"] for c in clusters}
    assert readable == tokens | aggregates


LOCAL_AWS = "http://127.0.0.1:4566"
ENDPOINT_OF_TYPE = {
    "cloudwatch/logGroup": "logs",
    "cloudwatch/eventRule": "events",
    "cloudwatch/eventTarget": "events",
}


def test_local_stack_points_every_aws_service_it_uses_at_the_local_cloud() -> None:
    config = stack_config("local")
    (endpoints,) = config["aws:endpoints"]
    resources, _ = _run("local")
    used = set()
    for resource in resources:
        if resource.type.startswith("aws:"):
            module_and_kind = resource.type.split(":")[1]
            used.add(ENDPOINT_OF_TYPE.get(module_and_kind, module_and_kind.split("/")[0]))
    assert used - set(endpoints) == set(), "services without a local endpoint"
    assert set(endpoints.values()) == {LOCAL_AWS}
    assert "sts" in endpoints  # the provider asks STS who it is unless told not to
    assert config["aws:s3UsePathStyle"] is True
    assert config["aws:skipCredentialsValidation"] is True
    assert config["aws:skipRequestingAccountId"] is True
    assert (config["aws:accessKey"], config["aws:secretKey"]) == ("test", "test")
    for key in ("gcp:pubsubCustomEndpoint", "gcp:storageCustomEndpoint"):
        assert config[key].startswith("http://127.0.0.1:")
    assert config["gcp:project"] == config["hybridstack:firebase_project_id"]
    assert config["gcp:project"].startswith("demo-")


def test_local_stack_trusts_the_issuer_it_is_configured_with() -> None:
    issuer = "http://127.0.0.1:40123/demo-hybridstack"  # as the local deploy engine sets it
    resources, outputs = _run("local", {"hybridstack:identity_issuer": issuer})
    firebase = [
        a
        for a in of_type(resources, "aws:apigatewayv2/authorizer:Authorizer")
        if a.inputs["jwtConfiguration"]["audiences"] == ["demo-hybridstack"]
    ]
    assert [a.inputs["jwtConfiguration"]["issuer"] for a in firebase] == [issuer]
    assert outputs["jwtIssuer"] == issuer


def test_the_cross_cloud_service_account_may_manage_firebase_users() -> None:
    """The identity API sets roles as custom claims and messaging checks that members exist:
    both through Firebase Auth, as the service account the AWS functions act as."""
    resources, _outputs = _run("dev")
    members = [
        r.inputs
        for r in of_type(resources, "gcp:projects/iAMMember:IAMMember")
        if r.inputs.get("role") == "roles/firebaseauth.admin"
    ]
    assert len(members) == 1
    assert members[0]["member"].startswith("serviceAccount:")
