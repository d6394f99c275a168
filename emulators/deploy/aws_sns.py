"""SNS topics, topic policies and subscriptions.

Example:
    aws.sns.Topic("ops", kms_master_key_id=key.arn)   -> CreateTopic ops-1a2b3c4
    aws.sns.TopicSubscription("ops-email-1", ...)     -> Subscribe (e-mail stays pending locally)
"""

from __future__ import annotations

from hybridstack.emulators.deploy.context import DeployContext, fail
from hybridstack.emulators.deploy.registry import (
    Created,
    Record,
    Resource,
    deleted_by,
    handles,
    nothing_to_delete,
)

_TOPIC_ATTRIBUTES = {
    "kmsMasterKeyId": "KmsMasterKeyId",
    "displayName": "DisplayName",
    "policy": "Policy",
    "deliveryPolicy": "DeliveryPolicy",
    "fifoTopic": "FifoTopic",
}


def _delete_topic(ctx: DeployContext, record: Record) -> None:
    ctx.aws("sns").delete_topic(TopicArn=record["id"])


@handles("aws:sns/topic:Topic", delete=deleted_by(_delete_topic, order=3))
def topic(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    name = ctx.name(resource, max_length=256)
    attributes = {
        wire: str(inputs[key]).lower() if isinstance(inputs[key], bool) else str(inputs[key])
        for key, wire in _TOPIC_ATTRIBUTES.items()
        if inputs.get(key) not in (None, "")
    }
    tags = [{"Key": str(k), "Value": str(v)} for k, v in (inputs.get("tags") or {}).items()]
    try:
        arn = ctx.aws("sns").create_topic(Name=name, Attributes=attributes, Tags=tags)["TopicArn"]
    except Exception as error:
        raise fail(resource, f"CreateTopic {name}", error) from error
    return Created(id=arn, outputs={"name": name, "arn": arn})


@handles(
    "aws:sns/topicPolicy:TopicPolicy",
    delete=nothing_to_delete(
        "a topic always has a policy: the last one set stays with its topic until the topic goes"
    ),
)
def topic_policy(ctx: DeployContext, resource: Resource) -> Created:
    arn = str(resource.inputs["arn"])
    try:
        ctx.aws("sns").set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=str(resource.inputs["policy"])
        )
    except Exception as error:
        raise fail(resource, f"SetTopicAttributes Policy on {arn}", error) from error
    return Created(id=arn)


def _unsubscribe(ctx: DeployContext, record: Record) -> None:
    ctx.aws("sns").unsubscribe(SubscriptionArn=record["id"])


@handles("aws:sns/topicSubscription:TopicSubscription", delete=deleted_by(_unsubscribe, order=0))
def subscription(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    topic_arn = str(inputs["topic"])
    try:
        answer = ctx.aws("sns").subscribe(
            TopicArn=topic_arn,
            Protocol=str(inputs["protocol"]),
            Endpoint=str(inputs["endpoint"]),
            ReturnSubscriptionArn=True,
        )
    except Exception as error:
        raise fail(resource, f"Subscribe {inputs.get('protocol')} to {topic_arn}", error) from error
    arn = str(answer["SubscriptionArn"])
    return Created(id=arn, outputs={"arn": arn})
