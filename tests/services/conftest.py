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
