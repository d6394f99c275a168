"""The reference platform's thin handlers: the API answers health and the caller's verified
claims; the analytics run validates its schedule input and records a manifest in S3."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from hybridstack.services.analytics import handler as analytics
from hybridstack.services.api.handler import handle


@dataclass
class _Context:
    function_name: str = "api"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:api"
    aws_request_id: str = "req-1"


def _http_event(method: str, path: str, claims: dict[str, Any] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
        "requestId": "r1",
        "stage": "$default",
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "api.example.com"},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def test_health_answers_ok() -> None:
    response = handle(_http_event("GET", "/health"), _Context())  # type: ignore[arg-type]
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}


def test_me_returns_the_verified_claims_with_custom_claims_apart() -> None:
    claims = {
        "sub": "u-1",
        "email": "ada@example.com",
        "email_verified": "true",
        "iss": "https://securetoken.google.com/demo-x",
        "role": "artist",
    }
    response = handle(_http_event("GET", "/me", claims), _Context())  # type: ignore[arg-type]
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "uid": "u-1",
        "email": "ada@example.com",
        "email_verified": True,
        "custom_claims": {"role": "artist"},
    }


def test_me_without_verified_claims_is_401_not_an_anonymous_user() -> None:
    response = handle(_http_event("GET", "/me"), _Context())  # type: ignore[arg-type]
    assert response["statusCode"] == 401


def test_unknown_path_is_404() -> None:
    response = handle(_http_event("GET", "/nope"), _Context())  # type: ignore[arg-type]
    assert response["statusCode"] == 404


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([], "must be a JSON object"),
        ({"sources": []}, "non-empty list"),
        ({"sources": ["myspace"]}, r"unknown source\(s\) \['myspace'\]; allowed: youtube"),
    ],
)
def test_analytics_refuses_bad_schedule_input(event: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analytics.requested_sources(event)


def test_analytics_defaults_to_every_source_and_dates_the_key() -> None:
    assert analytics.requested_sources({}) == ["spotify", "tiktok", "youtube"]
    key = analytics.run_key("abc", datetime(2026, 11, 22, tzinfo=UTC))
    assert key == "raw/analytics/2026/11/22/abc.json"


def test_analytics_run_writes_its_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYTICS_RAW_BUCKET_NAME", "raw-bucket")
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    monkeypatch.setattr(analytics.boto3, "client", lambda service: client)
    with Stubber(client) as stub:
        stub.add_response(
            "put_object",
            {"ETag": '"1"'},
            {"Bucket": "raw-bucket", "Key": ANY, "Body": ANY, "ContentType": "application/json"},
        )
        result = analytics.collect({"sources": ["spotify"]}, _Context())  # type: ignore[arg-type]
        stub.assert_no_pending_responses()
    assert result["sources"] == ["spotify"]
    assert result["key"].endswith(f"{result['run_id']}.json")
