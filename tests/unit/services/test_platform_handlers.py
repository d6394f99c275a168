"""The platform API's thin handler: health, and the caller's verified claims."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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
