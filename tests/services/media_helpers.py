"""Test helpers for the media flow: sample files, uploads through the signed POST, and the S3
notifications MiniStack sends to SQS turned into the Lambda events the processor receives."""

from __future__ import annotations

import io
import json
import time
import wave
from typing import Any

import requests
from PIL import Image

from tests.services.conftest import MEDIA_BUCKET


def png_bytes(width: int = 1600, height: int = 1200) -> bytes:
    image = Image.new("RGB", (width, height))
    for x in range(0, width, 40):
        for y in range(0, height, 40):
            image.paste((x * 255 // width, y * 255 // height, 128), (x, y, x + 40, y + 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float = 1.5, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x01" * int(seconds * rate))
    return buffer.getvalue()


def post_upload(ticket: dict[str, Any], data: bytes, content_type: str) -> requests.Response:
    """What a client does with a ticket: a multipart POST, the file last."""
    return requests.post(
        ticket["url"],
        data=ticket["fields"],
        files={"file": ("upload", data, content_type)},
        timeout=30,
    )


def notify_queue(s3: Any, sqs: Any, name: str = "media-uploads") -> str:
    """A queue receiving the media bucket's ObjectCreated notifications (the MediaStore wiring)."""
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket=MEDIA_BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    return url


def sqs_event_for_key(sqs: Any, queue_url: str, key: str, deadline_s: float = 30) -> dict[str, Any]:
    """Wait for the notification about ``key`` and return it as a Lambda SQS event."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if key in message["Body"]:
                return sqs_event([message["Body"]], message_ids=[message["MessageId"]])
    raise AssertionError(f"no S3 notification for {key} arrived on {queue_url}")


def sqs_event(bodies: list[str], message_ids: list[str] | None = None) -> dict[str, Any]:
    ids = message_ids or [f"m-{i}" for i in range(len(bodies))]
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": f"rh-{message_id}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795352400000",
                    "SenderId": "s3",
                    "ApproximateFirstReceiveTimestamp": "1",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:media-uploads",
                "awsRegion": "us-east-1",
            }
            for message_id, body in zip(ids, bodies, strict=True)
        ]
    }


def s3_notification_body(key: str, etag: str = "etag-1") -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Post",
                    "s3": {"bucket": {"name": MEDIA_BUCKET}, "object": {"key": key, "eTag": etag}},
                }
            ]
        }
    )
