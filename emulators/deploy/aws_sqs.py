"""SQS queues (dead-letter redrive included) and queue policies.

Example:
    aws.sqs.Queue("jobs", visibility_timeout_seconds=90, redrive_policy=...)
        -> CreateQueue jobs-1a2b3c4 with the attributes (SetQueueAttributes on a redeploy)
"""

from __future__ import annotations

from typing import Any

from hybridstack.emulators.deploy.context import DeployContext, fail
from hybridstack.emulators.deploy.registry import Created, Record, Resource, deleted_by, handles
from hybridstack.emulators.deploy.shapes import integral

QUEUE = "aws:sqs/queue:Queue"
_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "redrivePolicy": "RedrivePolicy",
    "redriveAllowPolicy": "RedriveAllowPolicy",
    "policy": "Policy",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "fifoQueue": "FifoQueue",
    "contentBasedDeduplication": "ContentBasedDeduplication",
}


def _attribute(value: Any) -> str:
    value = integral(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _delete_queue(ctx: DeployContext, record: Record) -> None:
    ctx.aws("sqs").delete_queue(QueueUrl=record["id"])


@handles(QUEUE, delete=deleted_by(_delete_queue, order=3))
def queue(ctx: DeployContext, resource: Resource) -> Created:
    sqs = ctx.aws("sqs")
    inputs = resource.inputs
    name = ctx.name(resource, max_length=80)
    if inputs.get("fifoQueue") and not name.endswith(".fifo"):
        name = name[:75] + ".fifo"
    attributes = {
        wire: _attribute(inputs[key])
        for key, wire in _ATTRIBUTES.items()
        if inputs.get(key) not in (None, "")
    }
    tags = {str(k): str(v) for k, v in (inputs.get("tags") or {}).items()}
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes, tags=tags)["QueueUrl"]
    except Exception as error:
        if "QueueAlreadyExists" not in str(error) and "already exists" not in str(error):
            raise fail(resource, f"CreateQueue {name}", error) from error
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn = ctx.arn("sqs", name)
    return Created(id=url, outputs={"name": name, "arn": arn, "url": url})


def _remove_queue_policy(ctx: DeployContext, record: Record) -> None:
    ctx.aws("sqs").set_queue_attributes(QueueUrl=record["id"], Attributes={"Policy": ""})


@handles("aws:sqs/queuePolicy:QueuePolicy", delete=deleted_by(_remove_queue_policy, order=0))
def queue_policy(ctx: DeployContext, resource: Resource) -> Created:
    url = str(resource.inputs["queueUrl"])
    try:
        ctx.aws("sqs").set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": str(resource.inputs["policy"])}
        )
    except Exception as error:
        raise fail(resource, f"SetQueueAttributes Policy on {url}", error) from error
    return Created(id=url)
