"""The media processor's Lambda adapter: S3 ObjectCreated notifications delivered through SQS.

The bucket notifies a Queue, the Queue feeds this function in batches (``ReportBatchItemFailures``):
each SQS record's body is an S3 notification, validated with pydantic. Powertools'
``BatchProcessor`` reports only the records that failed, which SQS redelivers and, after the
queue's ``max_receive_count``, moves to the dead-letter queue — a poison message never blocks
the batch and is never lost. ``s3:TestEvent`` messages (sent when notifications are configured)
are acknowledged and ignored.

Example event (one SQS record)::

    {"Records": [{"messageId": "1", "body": "{\\"Records\\": [{\\"eventName\\":
      \\"ObjectCreated:Post\\", \\"s3\\": {\\"bucket\\": {\\"name\\": \\"media\\"}, \\"object\\":
      {\\"key\\": \\"images/original/ab12.png\\", \\"eTag\\": \\"9f\\"}}}]}", ...}]}
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, ValidationError

from hybridstack.services.common.http import describe_validation_error
from hybridstack.services.common.idempotency import register_context
from hybridstack.services.media.processing import process_upload

logger = Logger(service="media")
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class S3Object(BaseModel):
    key: str
    etag: str | None = Field(default=None, alias="eTag")
    sequencer: str | None = None
    size: int | None = None


class S3Bucket(BaseModel):
    name: str


class S3Entity(BaseModel):
    bucket: S3Bucket
    object: S3Object


class S3Record(BaseModel):
    event_name: str = Field(alias="eventName")
    s3: S3Entity


class S3Notification(BaseModel):
    Records: list[S3Record]


class PoisonMessageError(ValueError):
    """A message that is not an S3 notification: retried, then moved to the DLQ."""


def parse_notification(body: str) -> S3Notification | None:
    """The notification in an SQS body; None for ``s3:TestEvent``; PoisonMessageError else."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as error:
        raise PoisonMessageError(f"the message body is not JSON: {error.msg}") from None
    if isinstance(data, dict) and data.get("Event") == "s3:TestEvent":
        return None
    try:
        return S3Notification.model_validate(data)
    except ValidationError as error:
        raise PoisonMessageError(
            f"the message is not an S3 notification: {describe_validation_error(error)}"
        ) from None


def handle_record(record: SQSRecord) -> list[dict[str, Any]]:
    """Process every ObjectCreated entry of one SQS record."""
    logger.set_correlation_id(record.message_id)
    try:
        notification = parse_notification(record.body)
        results: list[dict[str, Any]] = []
        for entry in notification.Records if notification else []:
            if not entry.event_name.startswith("ObjectCreated:"):
                continue
            obj = entry.s3.object
            results.append(
                process_upload(
                    bucket=entry.s3.bucket.name,
                    key=unquote_plus(obj.key),
                    etag=obj.etag or obj.sequencer or "",
                )
            )
    except Exception as error:
        logger.exception("record failed; SQS redelivers it, then dead-letters it",
                         extra={"error": repr(error)[:500]})  # fmt: skip
        raise
    return results


@logger.inject_lambda_context
def handle(event: dict[str, Any], context: LambdaContext) -> Any:
    """The Lambda entry point: partial batch failures for SQS."""
    register_context(context)
    return process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
