"""An HTTP API of the local cloud's API Gateway, made directly with boto3 (no Pulumi): one route
proxied to a Lambda function (payload 2.0), served by the auto-deployed ``$default`` stage.

Example:
    api_id, url = new_http_api(apigatewayv2, cloud.aws, "echo-api")
    route_to_function(apigatewayv2, api_id, "GET /hello/{name}", function_arn)
    requests.get(f"{url}/hello/world", timeout=60)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def new_http_api(apigatewayv2: Any, aws_endpoint: str, name: str) -> tuple[str, str]:
    """A new HTTP API: its id and its invoke URL (routes' paths follow it)."""
    api_id: str = apigatewayv2.create_api(Name=name, ProtocolType="HTTP")["ApiId"]
    return api_id, f"http://127.0.0.1:{urlsplit(aws_endpoint).port}/_aws/execute-api/{api_id}"


def route_to_function(
    apigatewayv2: Any, api_id: str, route: str, function_arn: str, **route_options: Any
) -> None:
    """``route`` (``"GET /path"``) proxied to the function, then the API deployed;
    ``route_options`` go to ``create_route`` (e.g. ``AuthorizationType``, ``AuthorizerId``)."""
    integration_id = apigatewayv2.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn,
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    apigatewayv2.create_route(
        ApiId=api_id, RouteKey=route, Target=f"integrations/{integration_id}", **route_options
    )
    apigatewayv2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
