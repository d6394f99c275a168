"""The reference platform's local stack, deployed by the engine: what it declares really exists
in the emulators and works through real client paths."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from hybridstack.emulators.devtools.stack_cloud import STORAGE_EVENTS_TOPIC
from hybridstack.emulators.runtime.clients import aws_client
from hybridstack.emulators.runtime.local_issuer import google_issuer


def _of(stack, type_token: str, name: str) -> dict:
    for resource in stack.result.resources:
        if resource.type == type_token and resource.name == name:
            return resource.outputs
    raise AssertionError(f"{type_token} {name!r} was not declared")


@pytest.fixture(scope="module")
def aws(deployed_stack):
    return lambda service: aws_client(deployed_stack.endpoints, service)


def test_the_api_answers_and_its_authorizer_refuses_a_missing_or_unsigned_token(deployed_stack):
    from hybridstack.emulators.runtime.clients import AuthEmulator

    health = requests.get(deployed_stack.api_url + "health", timeout=60)
    anonymous = requests.get(deployed_stack.api_url + "me", timeout=60)
    user = AuthEmulator(deployed_stack.endpoints).sign_up("deploy-a@example.com", "secret-pw-1")
    unsigned = requests.get(deployed_stack.api_url + "me", headers=user.authorization, timeout=60)

    assert health.status_code == 200, health.text
    assert health.json() == {"status": "ok"}
    assert anonymous.status_code == 401
    assert unsigned.status_code == 401
    assert deployed_stack.api_url.startswith(deployed_stack.endpoints.aws + "/_aws/execute-api/")


def test_the_authorizers_trust_the_local_issuer_and_its_google_stand_in(deployed_stack, aws):
    api_id = deployed_stack.api_url.rstrip("/").rsplit("/", 1)[-1]
    authorizers = aws("apigatewayv2").get_authorizers(ApiId=api_id)["Items"]
    firebase = next(a for a in authorizers if a["Name"] == "firebase")

    google = next(a for a in authorizers if a["Name"] == "media-pubsub-push")

    assert firebase["JwtConfiguration"]["Issuer"] == deployed_stack.endpoints.issuer
    assert firebase["JwtConfiguration"]["Audience"] == [deployed_stack.endpoints.project_id]
    assert google["JwtConfiguration"]["Issuer"] == google_issuer(deployed_stack.endpoints.issuer)
    assert google["JwtConfiguration"]["Audience"] == [deployed_stack.api_url + "media/sync"]


def test_every_function_exists_and_is_invokable(deployed_stack, aws):
    lambdas = aws("lambda")
    declared = [
        r.outputs["name"]
        for r in deployed_stack.result.resources
        if r.type == "aws:lambda/function:Function"
    ]
    present = {f["FunctionName"] for f in lambdas.list_functions()["Functions"]}
    event = {
        "version": "2.0",
        "routeKey": "GET /health",
        "rawPath": "/health",
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": "GET", "path": "/health"}, "stage": "$default"},
        "isBase64Encoded": False,
    }

    answer = lambdas.invoke(
        FunctionName=_of(deployed_stack, "aws:lambda/function:Function", "api")["name"],
        Payload=json.dumps(event).encode(),
    )

    assert len(declared) >= 6
    assert set(declared) <= present
    assert "FunctionError" not in answer, answer["Payload"].read()
    assert json.loads(answer["Payload"].read())["statusCode"] == 200


def test_buckets_and_tables_exist_as_declared(deployed_stack, aws):
    s3, outputs = aws("s3"), deployed_stack.outputs

    for bucket in (outputs["mediaBucket"], outputs["siteBucket"], outputs["analyticsBucket"]):
        s3.head_bucket(Bucket=bucket)
    assert s3.get_bucket_versioning(Bucket=outputs["mediaBucket"])["Status"] == "Enabled"
    table = aws("dynamodb").describe_table(TableName=outputs["tableName"])["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["GSI1"]


def test_uploads_reach_the_media_processor_through_the_queue(deployed_stack, aws):
    queue_arn = _of(deployed_stack, "aws:sqs/queue:Queue", "media-uploads")["arn"]
    processor = _of(deployed_stack, "aws:lambda/function:Function", "media-processor")["name"]

    notification = aws("s3").get_bucket_notification_configuration(
        Bucket=deployed_stack.outputs["mediaBucket"]
    )
    mappings = aws("lambda").list_event_source_mappings(FunctionName=processor)
    mappings = mappings["EventSourceMappings"]

    assert {c["QueueArn"] for c in notification["QueueConfigurations"]} == {queue_arn}
    assert [m["EventSourceArn"] for m in mappings] == [queue_arn]


def test_the_analytics_schedule_targets_the_collector(deployed_stack, aws):
    rule = _of(deployed_stack, "aws:cloudwatch/eventRule:EventRule", "analytics-schedule")
    collector = _of(deployed_stack, "aws:lambda/function:Function", "analytics")

    targets = aws("events").list_targets_by_rule(Rule=rule["name"])["Targets"]

    assert rule["scheduleExpression"] == "rate(5 minutes)"
    assert [t["Arn"] for t in targets] == [collector["arn"]]
    assert json.loads(targets[0]["Input"]) == {"sources": ["youtube", "spotify", "tiktok"]}


def _role_actions(deployed_stack, aws, name):
    """The role name and the actions of the policy the Function component made for ``name``."""
    policy = _of(deployed_stack, "aws:iam/rolePolicy:RolePolicy", name)
    role = _of(deployed_stack, "aws:iam/role:Role", name)
    document = aws("iam").get_role_policy(RoleName=role["name"], PolicyName=policy["name"])
    document = document["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    return role["name"], {a for s in document["Statement"] for a in s["Action"]}


def test_roles_carry_the_policies_their_links_declare(deployed_stack, aws):
    identity_role, identity_actions = _role_actions(deployed_stack, aws, "identity-api")
    api_role, api_actions = _role_actions(deployed_stack, aws, "api")

    assert identity_role == "hybridstack-local-identity-api"
    assert "dynamodb:GetItem" in identity_actions  # linked to the table (user records)
    assert api_role == "hybridstack-local-api"
    assert not any(a.startswith("dynamodb:") for a in api_actions)  # links no record store


def test_firestore_rules_are_loaded_into_the_emulator(deployed_stack):
    base = f"http://{deployed_stack.endpoints.firestore}/v1/projects/"
    url = base + f"{deployed_stack.endpoints.project_id}/databases/(default)/documents/probes"
    document = {"fields": {"x": {"integerValue": "1"}}}

    client = requests.post(url, json=document, timeout=30)
    admin = requests.post(url, json=document, headers={"Authorization": "Bearer owner"}, timeout=30)

    assert client.status_code == 403, client.text
    assert admin.status_code == 200, admin.text


def test_pubsub_push_goes_to_the_local_api_and_storage_events_are_bridged(deployed_stack):
    base = f"http://{deployed_stack.endpoints.pubsub}/v1/"
    issuer = str(deployed_stack.endpoints.issuer)
    push = _of(deployed_stack, "gcp:pubsub/subscription:Subscription", "media-uploads-to-aws")
    bucket = deployed_stack.outputs["mediaFirebaseBucket"]

    declared = requests.get(base + push["id"], timeout=30).json()
    twins = requests.get(
        base + f"projects/{deployed_stack.endpoints.project_id}/topics/{STORAGE_EVENTS_TOPIC}"
        "/subscriptions",
        timeout=30,
    ).json()["subscriptions"]
    twin = requests.get(base + twins[0], timeout=30).json()

    relay = urlsplit(declared["pushConfig"]["pushEndpoint"])
    assert f"{relay.scheme}://{relay.netloc}{relay.path}" == google_issuer(issuer) + "/push"
    assert parse_qs(relay.query) == {
        "endpoint": [deployed_stack.api_url + "media/sync"],
        "audience": [deployed_stack.api_url + "media/sync"],
        "email": [declared["pushConfig"]["oidcToken"]["serviceAccountEmail"]],
    }
    assert declared["topic"].endswith("/" + _of(deployed_stack, "gcp:pubsub/topic:Topic",
                                                 "media-uploads")["name"])  # fmt: skip
    assert len(twins) == 1
    assert twin["pushConfig"] == declared["pushConfig"]
    assert f'attributes.bucketId = "{bucket}"' in twin["filter"]


def test_the_firebase_storage_bucket_exists(deployed_stack):
    bucket = deployed_stack.outputs["mediaFirebaseBucket"]

    response = requests.get(f"{deployed_stack.endpoints.storage}/storage/v1/b/{bucket}", timeout=30)

    assert response.status_code == 200, response.text


def test_tls_only_bucket_policy_statements_are_left_out_and_reported(deployed_stack, aws):
    adapted = {(n.type, n.name) for n in deployed_stack.result.adapted}
    logs_bucket = _of(deployed_stack, "aws:s3/bucket:Bucket", "media-logs")["bucket"]

    policy = json.loads(aws("s3").get_bucket_policy(Bucket=logs_bucket)["Policy"])

    assert ("aws:s3/bucketPolicy:BucketPolicy", "media") in adapted
    assert ("aws:s3/bucketPolicy:BucketPolicy", "media-logs") in adapted
    assert [s["Sid"] for s in policy["Statement"]] == ["AllowS3ServerAccessLogs"]


def test_types_with_no_local_meaning_are_reported_by_name(deployed_stack):
    reported = {(n.type, n.name) for n in deployed_stack.result.not_emulated}

    assert ("aws:budgets/budget:Budget", "ops") in reported
    assert ("gcp:iam/workloadIdentityPool:WorkloadIdentityPool", "xc-pool") in reported
    assert ("aws:lambda/function:Function", "api") not in reported
    assert all(n.reason for n in deployed_stack.result.not_emulated)


def test_functions_get_the_local_cloud_addresses_under_their_own_variables(deployed_stack, aws):
    name = _of(deployed_stack, "aws:lambda/function:Function", "media-sync")["name"]

    variables = aws("lambda").get_function_configuration(FunctionName=name)["Environment"]
    variables = variables["Variables"]

    assert variables["FIRESTORE_EMULATOR_HOST"] == deployed_stack.endpoints.firestore
    assert variables["STORAGE_EMULATOR_HOST"] == deployed_stack.endpoints.storage
    assert variables["HYBRIDSTACK_ENV"] == "local"
    assert not any(variable.startswith("AWS_") for variable in variables)


def test_a_firebase_storage_upload_is_pushed_through_the_declared_wiring_to_s3(deployed_stack, aws):
    """fake-gcs event -> bridged push subscription -> local issuer's relay (Google-signed token)
    -> the API's Google JWT authorizer -> the sync function -> a copy in the media bucket."""
    bucket = deployed_stack.outputs["mediaFirebaseBucket"]
    name = f"exports/{uuid.uuid4().hex}.txt"
    upload = requests.post(
        f"{deployed_stack.endpoints.storage}/upload/storage/v1/b/{bucket}/o",
        params={"uploadType": "media", "name": name},
        data=b"hello from firebase storage",
        headers={"Content-Type": "text/plain"},
        timeout=30,
    )
    assert upload.status_code == 200, upload.text
    s3 = aws("s3")

    deadline = time.monotonic() + 60
    while True:
        try:
            copy = s3.get_object(
                Bucket=deployed_stack.outputs["mediaBucket"], Key=f"firebase/{bucket}/{name}"
            )
            break
        except s3.exceptions.NoSuchKey:
            assert time.monotonic() < deadline, "the upload never reached S3"
            time.sleep(0.25)

    assert copy["Body"].read() == b"hello from firebase storage"
