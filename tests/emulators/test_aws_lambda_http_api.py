"""A Python Lambda built from a zip in the test, invoked directly and through an HTTP API."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests

from tests.emulators.http_apis import new_http_api, route_to_function

HANDLER = '''
import json


def handler(event, context):
    """Echo what API Gateway (payload 2.0) or a direct invoke passed in."""
    if "requestContext" in event:
        name = event["pathParameters"]["name"]
        body = {
            "greeting": f"hello {name}",
            "method": event["requestContext"]["http"]["method"],
            "query": event.get("queryStringParameters") or {},
        }
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/json", "x-handler": "echo"},
            "body": json.dumps(body),
        }
    if "n" not in event:
        raise ValueError("n is required")
    return {"doubled": event["n"] * 2, "function": context.function_name}
'''

ROLE_ARN = "arn:aws:iam::000000000000:role/echo-lambda"


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("echo.py", source)
    return buffer.getvalue()


@pytest.fixture
def echo_function(lambda_client) -> str:
    created = lambda_client.create_function(
        FunctionName="echo",
        Runtime="python3.12",
        Role=ROLE_ARN,
        Handler="echo.handler",
        Code={"ZipFile": _zip(HANDLER)},
        Timeout=30,
    )
    lambda_client.get_waiter("function_active_v2").wait(
        FunctionName="echo", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    return str(created["FunctionArn"])


def test_lambda_from_a_zip_is_invoked(lambda_client, echo_function):
    response = lambda_client.invoke(FunctionName="echo", Payload=json.dumps({"n": 21}).encode())

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response, response["Payload"].read()
    assert json.loads(response["Payload"].read()) == {"doubled": 42, "function": "echo"}


def test_lambda_error_is_reported_as_a_function_error(lambda_client, echo_function):
    response = lambda_client.invoke(FunctionName="echo", Payload=b'{"no_n": true}')

    assert response.get("FunctionError") == "Unhandled"
    assert json.loads(response["Payload"].read())["errorMessage"] == "n is required"


@pytest.fixture
def echo_api_url(apigatewayv2, echo_function, cloud):
    """An HTTP API with ``GET /hello/{name}`` proxied to the echo Lambda; its invoke URL."""
    api_id, url = new_http_api(apigatewayv2, cloud.aws, "echo-api")
    route_to_function(apigatewayv2, api_id, "GET /hello/{name}", echo_function)
    return url


def test_http_api_route_reaches_the_lambda(echo_api_url):
    response = requests.get(
        f"{echo_api_url}/hello/world",
        params={"lang": "en"},
        timeout=60,
    )

    assert response.status_code == 200, response.text
    assert response.headers["x-handler"] == "echo"
    assert response.json() == {"greeting": "hello world", "method": "GET", "query": {"lang": "en"}}


def test_http_api_unknown_route_is_404(echo_api_url):
    response = requests.post(f"{echo_api_url}/goodbye", timeout=60)

    assert response.status_code == 404
