"""EventBridge rules (schedules, event patterns) and their targets.

Example:
    aws.cloudwatch.EventRule("analytics-schedule", schedule_expression="rate(5 minutes)")
        -> PutRule analytics-schedule-1a2b3c4
    aws.cloudwatch.EventTarget("analytics-schedule", rule=..., arn=function.arn, input=...)
        -> PutTargets (with its retry policy and dead-letter queue)
"""

from __future__ import annotations

from typing import Any

from hybridstack.emulators.deploy.context import DeployContext, fail
from hybridstack.emulators.deploy.naming import physical_name
from hybridstack.emulators.deploy.registry import (
    Created,
    Record,
    Resource,
    deleted_by,
    handles,
    recorded_output,
)
from hybridstack.emulators.deploy.shapes import given, pascal, tags_list


def _delete_rule(ctx: DeployContext, record: Record) -> None:
    ctx.aws("events").delete_rule(Name=record["id"])


@handles("aws:cloudwatch/eventRule:EventRule", delete=deleted_by(_delete_rule, order=2))
def rule(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    name = ctx.name(resource)
    args: dict[str, Any] = {"Name": name, "State": str(inputs.get("state") or "ENABLED")}
    args.update(
        given(
            inputs, "scheduleExpression", "eventPattern", "description", "eventBusName", "roleArn"
        )
    )
    if inputs.get("tags"):
        args["Tags"] = tags_list(inputs["tags"])
    try:
        arn = ctx.aws("events").put_rule(**args)["RuleArn"]
    except Exception as error:
        raise fail(resource, f"PutRule {name}", error) from error
    return Created(id=name, outputs={"name": name, "arn": arn})


def _delete_target(ctx: DeployContext, record: Record) -> None:
    ctx.aws("events").remove_targets(
        Rule=recorded_output(record, "rule"), Ids=[recorded_output(record, "targetId")]
    )


@handles("aws:cloudwatch/eventTarget:EventTarget", delete=deleted_by(_delete_target, order=0))
def target(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    rule_name = str(inputs["rule"])
    target_id = str(inputs.get("targetId") or physical_name(resource.urn, resource.name))
    shaped: dict[str, Any] = {"Id": target_id, "Arn": str(inputs["arn"])}
    shaped.update(given(inputs, "input", "inputPath", "roleArn"))
    shaped.update(given(inputs, "retryPolicy", "deadLetterConfig", shape=pascal))
    args: dict[str, Any] = {"Rule": rule_name, "Targets": [shaped], **given(inputs, "eventBusName")}
    try:
        answer = ctx.aws("events").put_targets(**args)
    except Exception as error:
        raise fail(resource, f"PutTargets on rule {rule_name}", error) from error
    if answer.get("FailedEntryCount"):
        raise fail(resource, f"PutTargets on rule {rule_name}", RuntimeError(answer))
    return Created(id=f"{rule_name}-{target_id}", outputs={"targetId": target_id})
