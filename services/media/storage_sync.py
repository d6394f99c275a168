"""Firebase Storage -> S3: every object finalised in a Firebase Storage bucket is copied to the
media bucket under ``firebase/<bucket>/<name>``; a deleted object's copy is deleted.

Cloud Storage notifies a Pub/Sub topic (``JSON_API_V1`` payloads); a push subscription POSTs
each message to the AWS API, whose adapter (:mod:`.storage_sync_api`) validates it and calls
:func:`sync_object`. Pub/Sub delivers at least once and retries on errors, so a copy runs once
per (bucket, name, generation, event): a redelivery changes nothing, and a late FINALIZE of an
older generation never overwrites a newer copy.

Example:
    sync_object(StorageEvent(event_type="OBJECT_FINALIZE", bucket="demo.appspot.com",
                             name="uploads/u1/song.mp3", generation="1716"))
"""

from __future__ import annotations

from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from hybridstack.services.common import settings
from hybridstack.services.common.clients import aws_client, storage_client
from hybridstack.services.common.idempotency import run_once

EventType = Literal["OBJECT_FINALIZE", "OBJECT_DELETE", "OBJECT_METADATA_UPDATE", "OBJECT_ARCHIVE"]
PREFIX = "firebase"


class StorageEvent(BaseModel):
    """One Cloud Storage notification (the Pub/Sub message's attributes)."""

    event_type: EventType
    bucket: str = Field(min_length=3, max_length=222)
    name: str = Field(min_length=1, max_length=1024)
    generation: str = Field(pattern=r"^[0-9]+$")


def s3_key(bucket: str, name: str) -> str:
    return f"{PREFIX}/{bucket}/{name}"


def _copied_generation(target: str, key: str) -> int | None:
    try:
        head = aws_client("s3").head_object(Bucket=target, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    value = head.get("Metadata", {}).get("generation")
    return int(value) if value and value.isdigit() else None


def _sync(event: StorageEvent, target: str) -> dict[str, Any]:
    key = s3_key(event.bucket, event.name)
    copied = _copied_generation(target, key)
    if copied is not None and copied > int(event.generation):
        return {"action": "skipped", "reason": "a newer generation is already copied", "key": key}
    if event.event_type == "OBJECT_DELETE":
        aws_client("s3").delete_object(Bucket=target, Key=key)
        return {"action": "deleted", "key": key}
    if event.event_type != "OBJECT_FINALIZE":
        return {"action": "ignored", "key": key}
    blob = storage_client().bucket(event.bucket).get_blob(event.name)
    if blob is None or str(blob.generation) != event.generation:
        return {"action": "skipped", "reason": "that generation no longer exists", "key": key}
    data = blob.download_as_bytes()
    aws_client("s3").put_object(
        Bucket=target,
        Key=key,
        Body=data,
        ContentType=blob.content_type or "application/octet-stream",
        Metadata={
            "source": f"gs://{event.bucket}/{event.name}",
            "generation": event.generation,
            **{f"fb-{k}"[:100]: str(v)[:256] for k, v in (blob.metadata or {}).items()},
        },
    )
    return {"action": "copied", "key": key, "size": len(data)}


def sync_object(event: StorageEvent) -> dict[str, Any]:
    """Mirror one Storage event into the media bucket, once per event."""
    target = settings.require(settings.MEDIA_BUCKET)
    return run_once(
        "storage-sync",
        event.model_dump(),
        lambda payload: _sync(StorageEvent.model_validate(payload), target),
    )
