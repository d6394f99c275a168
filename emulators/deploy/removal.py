"""Resources the last deploy made that the program no longer declares: deleted, as ``pulumi up``
deletes them (dependents first), or left in place with the reason.

A bucket is deleted only when empty (local data is never thrown away by a redeploy); an Aurora
cluster the program no longer declares is deleted with its database, as ``pulumi up`` deletes it
(RDS refuses a deletion-protected one, which is then left with that reason). Types without a
deleter here are left until the local cloud restarts, and say so.

Example:
    deleted, left = remove_undeclared(ctx, {urn: record, ...})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hybridstack.emulators.deploy.context import DeployContext

Record = dict[str, Any]
Deleter = Callable[[DeployContext, Record], None]


def type_of(urn: str) -> str:
    """``urn:pulumi:s::p::parent$aws:s3/bucket:Bucket::media`` -> ``aws:s3/bucket:Bucket``."""
    return urn.rsplit("::", 2)[-2].split("$")[-1]


def _out(record: Record, key: str) -> str:
    return str((record.get("outputs") or {}).get(key) or "")


def _pubsub_delete(ctx: DeployContext, record: Record) -> None:
    response = ctx.http.delete(f"{ctx.google('pubsub')}/v1/{record['id']}", timeout=30)
    if response.status_code not in (200, 404):
        raise RuntimeError(f"{response.status_code} {response.text}")


class KeptError(RuntimeError):
    """Deliberately not deleted (the message says why)."""


def _bucket(ctx: DeployContext, record: Record) -> None:
    s3 = ctx.aws("s3")
    if s3.list_objects_v2(Bucket=record["id"], MaxKeys=1).get("KeyCount", 0):
        raise KeptError("the bucket holds objects; empty it to have it deleted")
    s3.delete_bucket(Bucket=record["id"])


# type token -> (order: lower first, deleter)
DELETERS: dict[str, tuple[int, Deleter]] = {
    "aws:apigatewayv2/route:Route": (
        0,
        lambda c, r: c.aws("apigatewayv2").delete_route(ApiId=_out(r, "apiId"), RouteId=r["id"]),
    ),
    "aws:lambda/permission:Permission": (
        0,
        lambda c, r: c.aws("lambda").remove_permission(
            FunctionName=_out(r, "function"), StatementId=r["id"]
        ),
    ),
    "aws:lambda/eventSourceMapping:EventSourceMapping": (
        0,
        lambda c, r: c.aws("lambda").delete_event_source_mapping(UUID=r["id"]),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": (
        0,
        lambda c, r: c.aws("events").remove_targets(
            Rule=_out(r, "rule"), Ids=[_out(r, "targetId")]
        ),
    ),
    "aws:s3/bucketNotification:BucketNotification": (
        0,
        lambda c, r: c.aws("s3").put_bucket_notification_configuration(
            Bucket=r["id"], NotificationConfiguration={}
        ),
    ),
    "gcp:pubsub/subscription:Subscription": (0, _pubsub_delete),
    "aws:apigatewayv2/integration:Integration": (
        1,
        lambda c, r: c.aws("apigatewayv2").delete_integration(
            ApiId=_out(r, "apiId"), IntegrationId=r["id"]
        ),
    ),
    "aws:apigatewayv2/authorizer:Authorizer": (
        1,
        lambda c, r: c.aws("apigatewayv2").delete_authorizer(
            ApiId=_out(r, "apiId"), AuthorizerId=r["id"]
        ),
    ),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": (
        1,
        lambda c, r: c.aws("lambda").delete_function_event_invoke_config(FunctionName=r["id"]),
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        1,
        lambda c, r: c.aws("iam").delete_role_policy(
            RoleName=_out(r, "role"), PolicyName=_out(r, "name")
        ),
    ),
    "aws:lambda/function:Function": (
        2,
        lambda c, r: c.aws("lambda").delete_function(FunctionName=r["id"]),
    ),
    "aws:cloudwatch/eventRule:EventRule": (
        2,
        lambda c, r: c.aws("events").delete_rule(Name=r["id"]),
    ),
    "aws:apigatewayv2/stage:Stage": (
        2,
        lambda c, r: c.aws("apigatewayv2").delete_stage(
            ApiId=_out(r, "apiId"), StageName=_out(r, "name")
        ),
    ),
    "aws:sqs/queue:Queue": (3, lambda c, r: c.aws("sqs").delete_queue(QueueUrl=r["id"])),
    "gcp:pubsub/topic:Topic": (3, _pubsub_delete),
    "aws:iam/role:Role": (3, lambda c, r: c.aws("iam").delete_role(RoleName=r["id"])),
    "aws:apigatewayv2/api:Api": (
        4,
        lambda c, r: c.aws("apigatewayv2").delete_api(ApiId=r["id"]),
    ),
    "aws:dynamodb/table:Table": (
        4,
        lambda c, r: c.aws("dynamodb").delete_table(TableName=r["id"]),
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        4,
        lambda c, r: c.aws("logs").delete_log_group(logGroupName=r["id"]),
    ),
    "aws:s3/bucket:Bucket": (5, _bucket),
    # Aurora: instances before their cluster; no final snapshot (MiniStack keeps none). A
    # deletion-protected cluster is refused by RDS and left, with RDS's reason.
    "aws:rds/clusterInstance:ClusterInstance": (
        1,
        lambda c, r: c.aws("rds").delete_db_instance(
            DBInstanceIdentifier=r["id"], SkipFinalSnapshot=True
        ),
    ),
    "aws:rds/cluster:Cluster": (
        3,
        lambda c, r: c.aws("rds").delete_db_cluster(
            DBClusterIdentifier=r["id"], SkipFinalSnapshot=True
        ),
    ),
    "aws:cognito/userPoolClient:UserPoolClient": (
        1,
        lambda c, r: c.aws("cognito-idp").delete_user_pool_client(
            UserPoolId=_out(r, "userPoolId"), ClientId=r["id"]
        ),
    ),
    "aws:cognito/userPool:UserPool": (
        4,
        lambda c, r: c.aws("cognito-idp").delete_user_pool(UserPoolId=r["id"]),
    ),
}


def remove_undeclared(
    ctx: DeployContext, records: dict[str, Record]
) -> tuple[list[str], list[tuple[str, str]]]:
    """Delete what ``records`` (URN -> record) describe; returns (deleted URNs, [(URN, why
    it was left)])."""
    deleted: list[str] = []
    left: list[tuple[str, str]] = []
    order = sorted(records, key=lambda urn: (DELETERS.get(type_of(urn), (9, None))[0], urn))
    for urn in order:
        record = records[urn]
        if record.get("status") == "not-emulated":
            deleted.append(urn)  # nothing was ever made
            continue
        entry = DELETERS.get(type_of(urn))
        if entry is None:
            left.append((urn, "no local deleter: left until the local cloud restarts"))
            continue
        try:
            entry[1](ctx, record)
        except KeptError as kept:
            left.append((urn, str(kept)))
        except Exception as error:
            if "NotFound" in type(error).__name__ or "NotFound" in str(error):
                deleted.append(urn)
            else:
                left.append((urn, f"delete failed: {error}"))
        else:
            deleted.append(urn)
    return deleted, left
