"""The media processor as a real Lambda in the AWS emulator, behind an SQS event source mapping
with partial batch failures, packaged with its dependency layer exactly as the Function component
packages it: a poison message ends in the dead-letter queue after its retries, and a real upload
is processed end to end."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from hybridstack.services.media import api
from tests.services.conftest import MEDIA_BUCKET, claims_of, http_event, response_json
from tests.services.lambda_deploy import deploy_function
from tests.services.media_helpers import png_bytes, post_upload, sqs_event

# Media status documents go to Firestore even where a test does not read them.
pytestmark = pytest.mark.emulators("aws", "firestore")

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


def warm_up(lambda_client: Any, function_arn: str) -> None:
    """Invoke once before the queue feeds it (and check it answers a batch): MiniStack starts
    one worker per concurrent cold invocation, and workers that start together race while
    unpacking the layer."""
    warm = lambda_client.invoke(
        FunctionName=function_arn,
        Payload=json.dumps(sqs_event(['{"Event": "s3:TestEvent"}', "poison"])).encode(),
    )
    assert json.loads(warm["Payload"].read()) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def queue_arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def deploy_processor(
    lambda_client: Any,
    sqs: Any,
    name: str,
    environment: dict[str, str],
    queue_url: str,
    *,
    batch_size: int,
) -> None:
    """The packaged processor as function ``name``, warmed up, then fed from the queue in batches
    of ``batch_size`` with partial batch failures (as the Queue component subscribes it)."""
    function_arn = deploy_function(lambda_client, name, HANDLER, environment)
    warm_up(lambda_client, function_arn)
    lambda_client.create_event_source_mapping(
        EventSourceArn=queue_arn(sqs, queue_url),
        FunctionName=function_arn,
        BatchSize=batch_size,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )


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
    deploy_processor(lambda_client, sqs, "media-processor", platform, queue, batch_size=10)
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


def test_the_packaged_processor_handles_a_real_upload_end_to_end(
    platform: dict[str, str], lambda_client: Any, sqs: Any, s3: Any, auth: Any,
    firestore_client: Any, cloud: Any, context: Any,
) -> None:  # fmt: skip
    """Signed POST -> S3 notification -> SQS -> the Lambda in MiniStack -> Firestore status."""
    queue = sqs.create_queue(QueueName="media-events", Attributes={"VisibilityTimeout": "60"})
    queue_url = queue["QueueUrl"]
    s3.put_bucket_notification_configuration(
        Bucket=MEDIA_BUCKET,
        NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": queue_arn(sqs, queue_url), "Events": ["s3:ObjectCreated:*"]}
        ]},
    )  # fmt: skip
    environment = {**platform, "FIRESTORE_EMULATOR_HOST": str(cloud.firestore),
                   "GOOGLE_CLOUD_PROJECT": cloud.project_id}  # fmt: skip
    deploy_processor(
        lambda_client, sqs, "media-processor-e2e", environment, queue_url, batch_size=5
    )
    alice = claims_of(auth.sign_up("alice@example.com", "alice-secret"))
    data = png_bytes(800, 600)
    ticket = response_json(api.handle(http_event(
        "POST", "/media/upload", claims=alice,
        body={"filename": "a.png", "content_type": "image/png", "size": len(data)},
    ), context))  # fmt: skip
    assert post_upload(ticket, data, "image/png").ok

    status: dict[str, Any] = {}
    end = time.monotonic() + 120
    while time.monotonic() < end and status.get("status") not in ("ready", "failed"):
        time.sleep(1)
        status = firestore_client.document(f"media/{ticket['media_id']}").get().to_dict() or {}
    assert status.get("status") == "ready", status
    assert (status["width"], status["height"]) == (800, 600)
    s3.head_object(Bucket=MEDIA_BUCKET, Key=f"images/optimized/{ticket['media_id']}.webp")
