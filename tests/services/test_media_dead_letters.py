"""A poison message ends in the dead-letter queue after its retries: the media processor runs as
a real Lambda in the AWS emulator behind an SQS event source mapping with partial batch
failures, packaged with its dependency layer exactly as the Function component packages it."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.services.lambda_deploy import deploy_function
from tests.services.media_helpers import sqs_event

HANDLER = "hybridstack.services.media.events.handle"
MAX_RECEIVES = 2
# Longer than a warm invocation (the Queue component derives it from the function timeout).
VISIBILITY_SECONDS = 6


def wait_for_messages(sqs: Any, url: str, deadline_s: float) -> list[dict[str, Any]]:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        messages: list[dict[str, Any]] = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2,
            AttributeNames=["All"],
        ).get("Messages", [])  # fmt: skip
        if messages:
            return messages
    return []


def queue_arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def test_a_poison_message_lands_in_the_dlq_after_its_retries(
    platform: dict[str, str], lambda_client: Any, sqs: Any
) -> None:
    dlq = sqs.create_queue(QueueName="media-uploads-dlq")["QueueUrl"]
    queue = sqs.create_queue(
        QueueName="media-uploads",
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_SECONDS),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": queue_arn(sqs, dlq), "maxReceiveCount": MAX_RECEIVES}
            ),
        },
    )["QueueUrl"]
    function_arn = deploy_function(lambda_client, "media-processor", HANDLER, platform)
    # Warm it (and check it answers a batch) before the queue feeds it.
    warm = lambda_client.invoke(
        FunctionName=function_arn,
        Payload=json.dumps(sqs_event(['{"Event": "s3:TestEvent"}', "poison"])).encode(),
    )
    assert json.loads(warm["Payload"].read()) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    lambda_client.create_event_source_mapping(
        EventSourceArn=queue_arn(sqs, queue),
        FunctionName=function_arn,
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    sqs.send_message(QueueUrl=queue, MessageBody='{"Event": "s3:TestEvent"}')
    sqs.send_message(QueueUrl=queue, MessageBody="this is not an S3 notification")

    dead = wait_for_messages(sqs, dlq, deadline_s=120)
    assert [message["Body"] for message in dead] == ["this is not an S3 notification"]
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= MAX_RECEIVES
    # The well-formed test event was consumed, not dead-lettered, and nothing is left behind.
    remaining = sqs.get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert remaining == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
