"""Cognito user pools and app clients (the IoT reference architecture signs users in with them).

Example:
    aws.cognito.UserPool("users", username_attributes=["email"])   -> CreateUserPool
    aws.cognito.UserPoolClient("app", user_pool_id=users.id)       -> CreateUserPoolClient
"""

from __future__ import annotations

from typing import Any

from hybridstack.emulators.deploy.context import DeployContext, error_code, fail
from hybridstack.emulators.deploy.registry import (
    Created,
    Record,
    Resource,
    deleted_by,
    handles,
    recorded_output,
)
from hybridstack.emulators.deploy.shapes import integral


def _password_policy(policy: dict[str, Any]) -> dict[str, Any]:
    wire = {
        "minimumLength": "MinimumLength",
        "requireLowercase": "RequireLowercase",
        "requireNumbers": "RequireNumbers",
        "requireSymbols": "RequireSymbols",
        "requireUppercase": "RequireUppercase",
        "temporaryPasswordValidityDays": "TemporaryPasswordValidityDays",
    }
    return {wire[k]: integral(v) for k, v in policy.items() if k in wire and v is not None}


def _delete_user_pool(ctx: DeployContext, record: Record) -> None:
    ctx.aws("cognito-idp").delete_user_pool(UserPoolId=record["id"])


@handles("aws:cognito/userPool:UserPool", delete=deleted_by(_delete_user_pool, order=4))
def user_pool(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("cognito-idp")
    inputs = resource.inputs
    name = ctx.name(resource, max_length=128)
    previous = resource.previous_id()
    if previous:
        try:
            pool = client.describe_user_pool(UserPoolId=previous)["UserPool"]
            return Created(id=previous, outputs=_pool_outputs(ctx, pool, name))
        except Exception as error:
            if error_code(error) != "ResourceNotFoundException":
                raise fail(resource, f"DescribeUserPool {previous}", error) from error
    args: dict[str, Any] = {"PoolName": name}
    if inputs.get("usernameAttributes"):
        args["UsernameAttributes"] = list(inputs["usernameAttributes"])
    if inputs.get("autoVerifiedAttributes"):
        args["AutoVerifiedAttributes"] = list(inputs["autoVerifiedAttributes"])
    if inputs.get("passwordPolicy"):
        args["Policies"] = {"PasswordPolicy": _password_policy(inputs["passwordPolicy"])}
    if inputs.get("deletionProtection"):
        args["DeletionProtection"] = str(inputs["deletionProtection"])
    try:
        pool = client.create_user_pool(**args)["UserPool"]
    except Exception as error:
        raise fail(resource, f"CreateUserPool {name}", error) from error
    return Created(id=str(pool["Id"]), outputs=_pool_outputs(ctx, pool, name))


def _pool_outputs(ctx: DeployContext, pool: dict[str, Any], name: str) -> dict[str, Any]:
    pool_id = str(pool["Id"])
    return {
        "name": name,
        "arn": str(pool.get("Arn") or ctx.arn("cognito-idp", f"userpool/{pool_id}")),
        "endpoint": f"cognito-idp.{ctx.region}.amazonaws.com/{pool_id}",
    }


def _delete_user_pool_client(ctx: DeployContext, record: Record) -> None:
    ctx.aws("cognito-idp").delete_user_pool_client(
        UserPoolId=recorded_output(record, "userPoolId"), ClientId=record["id"]
    )


@handles(
    "aws:cognito/userPoolClient:UserPoolClient",
    delete=deleted_by(_delete_user_pool_client, order=1),
)
def user_pool_client(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("cognito-idp")
    inputs = resource.inputs
    pool_id = str(inputs["userPoolId"])
    name = ctx.name(resource, max_length=128)
    args: dict[str, Any] = {
        "UserPoolId": pool_id,
        "ClientName": name,
        "GenerateSecret": bool(inputs.get("generateSecret", False)),
    }
    if inputs.get("explicitAuthFlows"):
        args["ExplicitAuthFlows"] = list(inputs["explicitAuthFlows"])
    previous = resource.previous or {}
    if previous.get("id") and (previous.get("outputs") or {}).get("userPoolId") == pool_id:
        try:
            update = {k: v for k, v in args.items() if k != "GenerateSecret"}
            client.update_user_pool_client(ClientId=previous["id"], **update)
            return Created(id=str(previous["id"]), outputs={"name": name})
        except Exception as error:
            if error_code(error) != "ResourceNotFoundException":
                raise fail(resource, f"UpdateUserPoolClient {name}", error) from error
    try:
        created = client.create_user_pool_client(**args)["UserPoolClient"]
    except Exception as error:
        raise fail(resource, f"CreateUserPoolClient {name}", error) from error
    outputs = {"name": name}
    if created.get("ClientSecret"):
        outputs["clientSecret"] = str(created["ClientSecret"])
    return Created(id=str(created["ClientId"]), outputs=outputs)
