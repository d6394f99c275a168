"""CloudWatch log groups (Lambda's JSON logs land in them) with their retention.

Example:
    aws.cloudwatch.LogGroup("api", name_prefix="/aws/lambda/api-", retention_in_days=7)
        -> CreateLogGroup /aws/lambda/api-1a2b3c4 + PutRetentionPolicy 7
"""

from __future__ import annotations

from hybridstack.emulators.deploy.context import DeployContext, error_code, fail
from hybridstack.emulators.deploy.registry import Created, Record, Resource, deleted_by, handles
from hybridstack.emulators.deploy.shapes import integral


def _delete_log_group(ctx: DeployContext, record: Record) -> None:
    ctx.aws("logs").delete_log_group(logGroupName=record["id"])


@handles("aws:cloudwatch/logGroup:LogGroup", delete=deleted_by(_delete_log_group, order=4))
def log_group(ctx: DeployContext, resource: Resource) -> Created:
    logs = ctx.aws("logs")
    name = ctx.name(resource, max_length=512, allowed=r"[^A-Za-z0-9_.\-/#]")
    inputs = resource.inputs
    try:
        logs.create_log_group(
            logGroupName=name, tags={str(k): str(v) for k, v in (inputs.get("tags") or {}).items()}
        )
    except Exception as error:
        if error_code(error) != "ResourceAlreadyExistsException":
            raise fail(resource, f"CreateLogGroup {name}", error) from error
    retention = inputs.get("retentionInDays")
    if retention:
        logs.put_retention_policy(logGroupName=name, retentionInDays=integral(retention))
    arn = ctx.arn("logs", f"log-group:{name}")
    return Created(id=name, outputs={"name": name, "arn": arn})
