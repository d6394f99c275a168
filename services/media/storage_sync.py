"""Firebase Storage -> S3: objects clients upload with the Firebase SDK join the media pipeline.

Cloud Storage announces each finalised object on a Pub/Sub topic; a push subscription POSTs it
to ``POST /media/sync`` (the MediaStore component wires all of it), whose adapter
(:mod:`.sync`) validates it and calls :func:`sync_object`:

- ``uploads/<uid>/<file>`` (the Firebase Storage rules let a user write only under their uid):
  a media record owned by ``<uid>`` is created with the object's content type and size, and the
  bytes are copied to the type's upload prefix (``images/original/<id>.png`` ...) with the owner
  metadata a signed upload would carry, so S3 ``ObjectCreated`` -> processing -> ``media/{id}``
  status follows exactly as for direct uploads. The media id is derived from (bucket, name,
  generation), so a redelivered push finds the same record. A type the platform does not accept
  gets a ``failed`` record saying why.
- anything else is mirrored as it is under ``firebase/<bucket>/<name>`` (backup copy); a
  deletion deletes the mirror, and an older generation never overwrites a newer one.

Pub/Sub delivers at least once, so each (bucket, name, generation, event) runs once
(Powertools idempotency).

Example:
    sync_object(StorageEvent(event_type="OBJECT_FINALIZE", bucket="demo.appspot.com",
                             name="uploads/u1/song.mp3", generation="1716"))
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from hybridstack.services.common import settings
from hybridstack.services.common.clients import aws_client, storage_client
from hybridstack.services.common.idempotency import run_once
from hybridstack.services.media.records import MediaRecord, MediaStore
from hybridstack.services.media.status import publish_status
from hybridstack.services.media.types import MEDIA_TYPES, canonical

EventType = Literal["OBJECT_FINALIZE", "OBJECT_DELETE", "OBJECT_METADATA_UPDATE", "OBJECT_ARCHIVE"]
MIRROR_PREFIX = "firebase"
UPLOADS = re.compile(r"^uploads/(?P<uid>[A-Za-z0-9_-]{1,128})/(?P<file>[^/]+)$")
_NAMESPACE = uuid.UUID("6f0e6a52-4d3c-4bb8-9a57-7f2a7c1d0b11")


class StorageEvent(BaseModel):
    """One Cloud Storage notification (the Pub/Sub message's attributes)."""

    event_type: EventType
    bucket: str = Field(min_length=3, max_length=222)
    name: str = Field(min_length=1, max_length=1024)
    generation: str = Field(pattern=r"^[0-9]+$")


def mirror_key(bucket: str, name: str) -> str:
    return f"{MIRROR_PREFIX}/{bucket}/{name}"


def media_id_for(event: StorageEvent) -> str:
    """The media id of an uploaded object: the same for every delivery of the same version."""
    return uuid.uuid5(_NAMESPACE, f"{event.bucket}/{event.name}#{event.generation}").hex


def _copied_generation(target: str, key: str) -> int | None:
    try:
        head = aws_client("s3").head_object(Bucket=target, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    value = head.get("Metadata", {}).get("generation")
    return int(value) if value and value.isdigit() else None


def _blob(event: StorageEvent) -> Any | None:
    blob = storage_client().bucket(event.bucket).get_blob(event.name)
    if blob is None or str(blob.generation) != event.generation:
        return None  # replaced or deleted since: a later event covers it
    return blob


def _mirror(event: StorageEvent, target: str) -> dict[str, Any]:
    key = mirror_key(event.bucket, event.name)
    copied = _copied_generation(target, key)
    if copied is not None and copied > int(event.generation):
        return {"action": "skipped", "reason": "a newer generation is already copied", "key": key}
    if event.event_type == "OBJECT_DELETE":
        aws_client("s3").delete_object(Bucket=target, Key=key)
        return {"action": "deleted", "key": key}
    if event.event_type != "OBJECT_FINALIZE":
        return {"action": "ignored", "key": key}
    blob = _blob(event)
    if blob is None:
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


def _ingest(event: StorageEvent, owner: str, filename: str, target: str) -> dict[str, Any]:
    if event.event_type != "OBJECT_FINALIZE":
        return {"action": "ignored", "reason": "media are deleted through the API"}
    blob = _blob(event)
    if blob is None:
        return {"action": "skipped", "reason": "that generation no longer exists"}
    media = MediaStore()
    media_id = media_id_for(event)
    if media.get(media_id) is not None:
        return {"action": "skipped", "reason": "already ingested", "media_id": media_id}
    content_type = canonical(blob.content_type or "")
    media_type = MEDIA_TYPES.get(content_type)
    size = int(blob.size or 0)
    record = MediaRecord(
        media_id=media_id,
        owner_id=owner,
        kind=media_type.kind if media_type else "file",
        declared_content_type=content_type or "application/octet-stream",
        declared_size=size,
        filename=filename,
        original_key=media_type.original_key(media_id) if media_type else "",
        created_at=datetime.now(UTC).isoformat(),
    )
    problem = None
    if media_type is None:
        problem = f"content type {content_type or 'unknown'!r} is not accepted"
    elif size > media_type.max_bytes:
        problem = f"{size} bytes is above the {media_type.max_bytes} accepted for {content_type}"
    if problem:
        record = record.model_copy(update={"status": "failed", "error": problem})
        media.create(record)
        publish_status(record)
        return {"action": "rejected", "media_id": media_id, "reason": problem}
    media.create(record)
    publish_status(record)
    aws_client("s3").put_object(
        Bucket=target,
        Key=record.original_key,
        Body=blob.download_as_bytes(),
        ContentType=content_type,
        Metadata={
            "owner": owner,
            "media-id": media_id,
            "source": f"gs://{event.bucket}/{event.name}",
            "generation": event.generation,
        },
    )
    return {"action": "ingested", "media_id": media_id, "key": record.original_key}


def _sync(event: StorageEvent, target: str) -> dict[str, Any]:
    upload = UPLOADS.match(event.name)
    if upload:
        return _ingest(event, upload["uid"], upload["file"], target)
    return _mirror(event, target)


def sync_object(event: StorageEvent) -> dict[str, Any]:
    """Bring one Storage event into S3 (media pipeline or mirror), once per event."""
    target = settings.require(settings.MEDIA_BUCKET)
    return run_once(
        "storage-sync",
        event.model_dump(),
        lambda payload: _sync(StorageEvent.model_validate(payload), target),
    )
