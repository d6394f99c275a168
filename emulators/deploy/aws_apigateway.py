"""API Gateway v2 HTTP APIs: the API, its stage, Lambda proxy integrations, routes and JWT
authorizers, created in the AWS emulator.

The emulator serves an API at ``http://127.0.0.1:<port>/_aws/execute-api/<apiId>``: that is the
``apiEndpoint`` and (for the ``$default`` stage) the ``invokeUrl`` the program sees, so the stack
output ``apiUrl`` and every URL derived from it (push endpoints, audiences) are the local ones.
An authorizer trusting ``https://accounts.google.com`` trusts the local issuer's Google stand-in
(:func:`hybridstack.emulators.runtime.local_issuer.google_issuer`) instead: nothing offline is
Google.

Example:
    aws.apigatewayv2.Route("api-get-me", api_id=api.id, route_key="GET /me",
                           authorization_type="JWT", authorizer_id=firebase.id, target=...)
        -> CreateRoute (UpdateRoute on a redeploy)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hybridstack.emulators.deploy.context import (
    DeployContext,
    create_or_replace,
    fail,
    update_or_create,
)
from hybridstack.emulators.deploy.registry import (
    Created,
    Record,
    Resource,
    deleted_by,
    handles,
    recorded_output,
)
from hybridstack.emulators.deploy.shapes import given, integral, pascal

API = "aws:apigatewayv2/api:Api"
GOOGLE_ISSUER = "https://accounts.google.com"


def local_issuer_for(ctx: DeployContext, issuer: str) -> str:
    """Google's issuer (Pub/Sub push tokens, Google-signed calls) can't be reached offline: the
    local cloud's issuer stands in for it and signs those tokens (its push relay)."""
    if issuer.rstrip("/") == GOOGLE_ISSUER and ctx.endpoints.issuer:
        from hybridstack.emulators.runtime.local_issuer import google_issuer

        return google_issuer(ctx.endpoints.issuer)
    return issuer


def _outputs_of_api(ctx: DeployContext, api_id: str) -> dict[str, Any]:
    return {
        "apiEndpoint": ctx.api_url(api_id),
        "executionArn": ctx.arn("execute-api", api_id),
        "arn": f"arn:aws:apigateway:{ctx.region}::/apis/{api_id}",
    }


def _delete_api(ctx: DeployContext, record: Record) -> None:
    ctx.aws("apigatewayv2").delete_api(ApiId=record["id"])


@handles(API, delete=deleted_by(_delete_api, order=4))
def api(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("apigatewayv2")
    inputs = resource.inputs
    name = ctx.name(resource, max_length=128)
    args: dict[str, Any] = {
        "Name": name,
        "Description": str(inputs.get("description") or ""),
    }
    args.update(given(inputs, "corsConfiguration", shape=pascal))
    if inputs.get("disableExecuteApiEndpoint") is not None:
        args["DisableExecuteApiEndpoint"] = bool(inputs["disableExecuteApiEndpoint"])

    def update(api_id: str) -> str:
        client.update_api(ApiId=api_id, **args)
        return api_id

    def create() -> str:
        answer = client.create_api(
            ProtocolType=str(inputs.get("protocolType") or "HTTP"),
            Tags={str(k): str(v) for k, v in (inputs.get("tags") or {}).items()},
            **args,
        )
        return str(answer["ApiId"])

    try:
        api_id = update_or_create(resource.previous_id(), update, create, gone="NotFoundException")
    except Exception as error:
        raise fail(resource, f"CreateApi {name}", error) from error
    return Created(id=api_id, outputs=_outputs_of_api(ctx, api_id))


def _delete_stage(ctx: DeployContext, record: Record) -> None:
    ctx.aws("apigatewayv2").delete_stage(
        ApiId=recorded_output(record, "apiId"), StageName=recorded_output(record, "name")
    )


@handles("aws:apigatewayv2/stage:Stage", delete=deleted_by(_delete_stage, order=2))
def stage(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("apigatewayv2")
    inputs = resource.inputs
    api_id = str(inputs["apiId"])
    name = str(inputs.get("name") or "$default")
    args: dict[str, Any] = {"ApiId": api_id, "StageName": name}
    if inputs.get("autoDeploy") is not None:
        args["AutoDeploy"] = bool(inputs["autoDeploy"])
    args.update(given(inputs, "accessLogSettings", "defaultRouteSettings", shape=pascal))
    if inputs.get("stageVariables"):
        args["StageVariables"] = dict(inputs["stageVariables"])
    try:
        create_or_replace(
            lambda: client.create_stage(**args),
            lambda: client.update_stage(**args),
            exists="ConflictException",
        )
    except Exception as error:
        raise fail(resource, f"CreateStage {name} on API {api_id}", error) from error
    base = ctx.api_url(api_id)
    invoke_url = f"{base}/" if name == "$default" else f"{base}/{name}"
    return Created(
        id=f"{api_id}/{name}",
        outputs={
            "name": name,
            "invokeUrl": invoke_url,
            "executionArn": ctx.arn("execute-api", f"{api_id}/{name}"),
            "arn": f"arn:aws:apigateway:{ctx.region}::/apis/{api_id}/stages/{name}",
        },
    )


def _child(
    resource: Resource,
    ctx: DeployContext,
    what: str,
    id_key: str,
    args: dict[str, Any],
    create: Callable[..., dict[str, Any]],
    update: Callable[..., dict[str, Any]],
) -> str:
    """Update the previous child of the same API in place, or create it; returns its id."""
    previous = resource.previous or {}
    same_api = (previous.get("outputs") or {}).get("apiId") == args["ApiId"]

    def update_child(child_id: str) -> str:
        update(**{id_key: child_id}, **args)
        return child_id

    try:
        return update_or_create(
            str(previous["id"]) if previous.get("id") and same_api else None,
            update_child,
            lambda: str(create(**args)[id_key]),
            gone="NotFoundException",
        )
    except Exception as error:
        raise fail(resource, f"Create{what} on API {args['ApiId']}", error) from error


def _delete_integration(ctx: DeployContext, record: Record) -> None:
    ctx.aws("apigatewayv2").delete_integration(
        ApiId=recorded_output(record, "apiId"), IntegrationId=record["id"]
    )


@handles(
    "aws:apigatewayv2/integration:Integration", delete=deleted_by(_delete_integration, order=1)
)
def integration(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("apigatewayv2")
    inputs = resource.inputs
    args: dict[str, Any] = {
        "ApiId": str(inputs["apiId"]),
        "IntegrationType": str(inputs["integrationType"]),
    }
    args.update(
        given(
            inputs, "integrationUri", "integrationMethod", "payloadFormatVersion",
            "connectionType", "description", "credentialsArn",
        )
    )  # fmt: skip
    if inputs.get("timeoutMilliseconds"):
        args["TimeoutInMillis"] = integral(inputs["timeoutMilliseconds"])
    if inputs.get("requestParameters"):
        args["RequestParameters"] = dict(inputs["requestParameters"])
    integration_id = _child(
        resource, ctx, "Integration", "IntegrationId", args,
        client.create_integration, client.update_integration,
    )  # fmt: skip
    return Created(id=integration_id)


def _delete_route(ctx: DeployContext, record: Record) -> None:
    ctx.aws("apigatewayv2").delete_route(
        ApiId=recorded_output(record, "apiId"), RouteId=record["id"]
    )


@handles("aws:apigatewayv2/route:Route", delete=deleted_by(_delete_route, order=0))
def route(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("apigatewayv2")
    inputs = resource.inputs
    args: dict[str, Any] = {
        "ApiId": str(inputs["apiId"]),
        "RouteKey": str(inputs["routeKey"]),
        "AuthorizationType": str(inputs.get("authorizationType") or "NONE"),
    }
    if inputs.get("target"):
        args["Target"] = str(inputs["target"])
    if inputs.get("authorizerId"):
        args["AuthorizerId"] = str(inputs["authorizerId"])
    if inputs.get("authorizationScopes"):
        args["AuthorizationScopes"] = list(inputs["authorizationScopes"])
    route_id = _child(
        resource, ctx, "Route", "RouteId", args, client.create_route, client.update_route
    )
    return Created(id=route_id)


def _delete_authorizer(ctx: DeployContext, record: Record) -> None:
    ctx.aws("apigatewayv2").delete_authorizer(
        ApiId=recorded_output(record, "apiId"), AuthorizerId=record["id"]
    )


@handles("aws:apigatewayv2/authorizer:Authorizer", delete=deleted_by(_delete_authorizer, order=1))
def authorizer(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("apigatewayv2")
    inputs = resource.inputs
    args: dict[str, Any] = {
        "ApiId": str(inputs["apiId"]),
        "AuthorizerType": str(inputs.get("authorizerType") or "JWT"),
        "IdentitySource": list(inputs.get("identitySources") or ["$request.header.Authorization"]),
        "Name": str(inputs.get("name") or ctx.name(resource, max_length=128)),
    }
    jwt = inputs.get("jwtConfiguration")
    if jwt:
        args["JwtConfiguration"] = {
            "Audience": [str(a) for a in jwt.get("audiences") or []],
            "Issuer": local_issuer_for(ctx, str(jwt.get("issuer") or "")),
        }
    args.update(
        given(inputs, "authorizerUri", "authorizerPayloadFormatVersion", "authorizerCredentialsArn")
    )
    authorizer_id = _child(
        resource, ctx, "Authorizer", "AuthorizerId", args,
        client.create_authorizer, client.update_authorizer,
    )  # fmt: skip
    return Created(id=authorizer_id)
