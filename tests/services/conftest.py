"""Shared fixtures of the service tests: the platform's AWS resources in the local cloud, the
environment the Functions' links would set, and realistic Lambda events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from hybridstack.services.common.clients import reset_clients

MEDIA_BUCKET = "media"
DATABASE_TABLE = "platform"
IDEMPOTENCY_TABLE = "idempotency"
ANALYTICS_BUCKET = "analytics-raw"


@dataclass
class LambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str = "service-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:service-test"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


def http_event(
    method: str,
    path: str,
    *,
    claims: dict[str, Any] | None = None,
    body: Any = None,
    content_type: str | None = "application/json",
    route: str | None = None,
) -> dict[str, Any]:
    """An API Gateway v2 (HTTP API, payload 2.0) event as the JWT authorizer passes it on."""
    request_context: dict[str, Any] = {
        "accountId": "000000000000",
        "apiId": "api1",
        "domainName": "api1.execute-api.us-east-1.amazonaws.com",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                 "userAgent": "pytest"},
        "requestId": "r-1",
        "routeKey": route or f"{method} {path}",
        "stage": "$default",
        "time": "22/Nov/2026:13:00:00 +0000",
        "timeEpoch": 1795352400000,
    }  # fmt: skip
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    headers = {"host": "api1.execute-api.us-east-1.amazonaws.com"}
    if content_type:
        headers["content-type"] = content_type
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    return {
        "version": "2.0",
        "routeKey": route or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": request_context,
        "body": text,
        "isBase64Encoded": False,
    }


def claims_of(user: Any, **extra: Any) -> dict[str, Any]:
    """The claims a JWT authorizer passes for a signed-in Auth emulator user."""
    return {
        "sub": user.uid,
        "email": user.email,
        "iss": "https://securetoken.google.com/demo-hybridstack",
        **extra,
    }


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


@pytest.fixture
def platform(
    s3: Any, dynamodb: Any, monkeypatch: pytest.MonkeyPatch, cloud: Any
) -> Iterator[dict[str, str]]:
    """The media bucket, the single table and the idempotency table, and the variables the
    Functions' links set for them (``MEDIA_BUCKET_NAME`` ...)."""
    s3.create_bucket(Bucket=MEDIA_BUCKET)
    s3.create_bucket(Bucket=ANALYTICS_BUCKET)
    dynamodb.create_table(
        TableName=DATABASE_TABLE,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                   {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                              {"AttributeName": "SK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    dynamodb.create_table(
        TableName=IDEMPOTENCY_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    env = {
        "MEDIA_BUCKET_NAME": MEDIA_BUCKET,
        "DATABASE_TABLE_NAME": DATABASE_TABLE,
        "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
        "ANALYTICS_RAW_BUCKET_NAME": ANALYTICS_BUCKET,
        "REALTIME_FIRESTORE_PROJECT": cloud.project_id,
        "HYBRIDSTACK_ENV": "local",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_clients()
    yield env
    reset_clients()


@dataclass
class RecordsDatabase:
    """Where a test's user records and aggregates live, read directly (not through the code
    under test): the DynamoDB single table, or the Aurora cluster's tables through the Data API."""

    kind: str
    dynamodb: Any
    rds_data: Any = None
    aurora: Any = None

    def sql(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a statement run on the cluster (string and integer parameters)."""
        parameters = [
            {"name": name, "value": {"longValue": value} if isinstance(value, int)
             else {"stringValue": value}}
            for name, value in params.items()
        ]  # fmt: skip
        response = self.rds_data.execute_statement(
            resourceArn=self.aurora.cluster_arn, secretArn=self.aurora.secret_arn,
            database=self.aurora.database, sql=sql, parameters=parameters,
            includeResultMetadata=True,
        )  # fmt: skip
        names = [column["name"] for column in response.get("columnMetadata", [])]
        return [
            {name: None if field.get("isNull") else next(iter(field.values()))
             for name, field in zip(names, record, strict=True)}
            for record in response["records"]
        ]  # fmt: skip

    def table_exists(self, table: str) -> bool:
        rows = self.sql("SELECT to_regclass(:name) IS NOT NULL AS present", name=table)
        return bool(rows[0]["present"])

    def user_rows(self, uid: str) -> list[dict[str, Any]]:
        """Every stored record of ``uid`` (a correct store keeps at most one)."""
        if self.kind == "postgres":
            if not self.table_exists("users"):  # no Function has touched the database yet
                return []
            return self.sql(
                "SELECT uid, email, display_name, bio, role, created_by, storage_used_bytes "
                "FROM users WHERE uid = :uid",
                uid=uid,
            )
        items: list[dict[str, Any]] = self.dynamodb.query(
            TableName=DATABASE_TABLE,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"USER#{uid}"}},
        )["Items"]
        return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]

    def aggregate_totals(self, source: str, day: str) -> dict[str, int] | None:
        """The stored totals of ``source`` on ``day``."""
        if self.kind == "postgres":
            if not self.table_exists("analytics_daily"):
                return None
            rows = self.sql(
                "SELECT totals::text AS totals FROM analytics_daily "
                "WHERE source = :source AND day = CAST(:day AS date)",
                source=source,
                day=day,
            )
            return json.loads(rows[0]["totals"]) if rows else None
        item = self.dynamodb.get_item(
            TableName=DATABASE_TABLE,
            Key={"PK": {"S": f"ANALYTICS#{source}"}, "SK": {"S": f"DAY#{day}"}},
        ).get("Item")
        return {m: int(v["N"]) for m, v in item["totals"]["M"].items()} if item else None

    def aggregate_rows(self, source: str) -> int:
        """How many daily aggregates ``source`` has."""
        if self.kind == "postgres":
            rows = self.sql(
                "SELECT count(*) AS n FROM analytics_daily WHERE source = :source", source=source
            )
            return int(rows[0]["n"])
        return int(
            self.dynamodb.query(
                TableName=DATABASE_TABLE,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": f"ANALYTICS#{source}"}},
                Select="COUNT",
            )["Count"]
        )


@pytest.fixture(params=["dynamodb", "postgres"])
def records(
    request: pytest.FixtureRequest,
    platform: dict[str, str],
    dynamodb: Any,
    aws_session: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RecordsDatabase]:
    """The platform with its records in DynamoDB or in PostgreSQL (``RECORDS_DATABASE``); for
    PostgreSQL a fresh Aurora cluster linked as ``catalog`` (the ``CATALOG_*`` variables)."""
    monkeypatch.setenv("RECORDS_DATABASE", request.param)
    found = RecordsDatabase(kind=request.param, dynamodb=dynamodb)
    if request.param == "postgres":
        aurora = request.getfixturevalue("aurora_database")
        for name, value in aurora.link_environment("CATALOG").items():
            monkeypatch.setenv(name, value)
        found.aurora, found.rds_data = aurora, aws_session.client("rds-data")
    reset_clients()
    yield found
    reset_clients()
