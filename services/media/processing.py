"""Processing an uploaded original: check what it really is, extract metadata, derive images.

For an object under an upload prefix (``images/original/<id>.png``, ``voice/original/<id>.mp3``
...; the MediaStore component's ``PROCESSING_PREFIXES``):

1. the media record must exist and the object's ``owner`` metadata must match it (the signed
   POST policy put it there), else the media fails;
2. status ``uploaded`` then ``processing`` is published to ``media/{id}``;
3. the type is sniffed from the bytes and must be the declared one (a PNG named ``.jpg`` or an
   HTML file sent as ``image/png`` fails with a reason);
4. metadata: size, image dimensions, audio duration (mutagen);
5. images: thumbnails in three sizes (``images/thumbnails/<id>/<size>.jpg``) and an optimised
   WebP (``images/optimized/<id>.webp``);
6. the record becomes ``ready`` (or ``failed`` with the reason), the owner's storage use grows
   by the size, and the status is published.

Content problems end in ``failed`` (retrying can't help); infrastructure errors raise, so the
event is retried and lands in the dead-letter queue if it keeps failing. Duplicate deliveries
are harmless: :func:`process_upload` runs once per (bucket, key, ETag) (Powertools idempotency).

Example:
    process_upload(bucket="media", key="images/original/ab12.png", etag="9f...")
"""

from __future__ import annotations

import io
from typing import Any

from aws_lambda_powertools import Logger

from hybridstack.services.common.clients import aws_client
from hybridstack.services.common.idempotency import run_once
from hybridstack.services.identity.users import UserNotFoundError, user_store
from hybridstack.services.media.images import derive_images, image_dimensions
from hybridstack.services.media.records import MediaRecord, MediaStore
from hybridstack.services.media.status import publish_status
from hybridstack.services.media.types import canonical, sniff
from hybridstack.services.realtime.publisher import RealtimePublisher

logger = Logger(service="media")
ORIGINAL_PREFIXES = (
    "images/original/", "videos/original/", "voice/original/", "profiles/original/", "files/",
)  # fmt: skip
"""Where uploads land (MediaStore's ``PROCESSING_PREFIXES``); derived files go elsewhere."""
CACHE_CONTROL = "public, max-age=31536000, immutable"


class UnknownObjectError(LookupError):
    """An object arrived under an original prefix with no media record: retried, then DLQ."""


class ContentRejectedError(ValueError):
    """The content is not what was declared (the media fails; the message says why)."""


def media_id_of(key: str) -> str | None:
    """``images/original/ab12.png`` -> ``ab12``; None for keys outside the original prefixes."""
    if not key.startswith(ORIGINAL_PREFIXES):
        return None
    name = key.rsplit("/", 1)[-1]
    stem = name.split(".", 1)[0]
    return stem or None


def audio_duration(data: bytes) -> float | None:
    """Seconds of audio (or an MP4's), from the container's headers (mutagen)."""
    import mutagen

    try:
        parsed = mutagen.File(io.BytesIO(data))
    except Exception:
        return None
    if parsed is None or getattr(parsed, "info", None) is None:
        return None
    return round(float(parsed.info.length), 3)


def _derive(record: MediaRecord, data: bytes, bucket: str) -> dict[str, Any]:
    s3 = aws_client("s3")
    found: dict[str, Any] = {}
    if record.kind == "image":
        found["width"], found["height"] = image_dimensions(data)
        keys: dict[str, str] = {}
        for name, item in derive_images(data).items():
            if name.startswith("thumbnail-"):
                key = f"images/thumbnails/{record.media_id}/{name.removeprefix('thumbnail-')}.jpg"
            else:
                key = f"images/optimized/{record.media_id}.webp"
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=item.data,
                ContentType=item.content_type,
                CacheControl=CACHE_CONTROL,
                Metadata={"owner": record.owner_id, "media-id": record.media_id},
            )
            keys[name] = key
        found["derived"] = keys
    elif record.kind == "voice":
        duration = audio_duration(data)
        if duration is None:
            raise ContentRejectedError("the audio's duration could not be read")
        found["duration_seconds"] = duration
    elif record.kind == "video":
        # MP4 headers give the duration; transcoding (HLS) is MediaConvert's job in the cloud.
        found["duration_seconds"] = audio_duration(data)
    return found


def _process(bucket: str, key: str, media: MediaStore, publisher: RealtimePublisher) -> str:
    media_id = media_id_of(key)
    record = media.get(media_id) if media_id else None
    if record is None or record.original_key != key:
        raise UnknownObjectError(f"no media record for s3://{bucket}/{key}")
    if record.status in ("ready", "failed", "deleted"):
        return record.status  # already final: a replay must not change it
    s3 = aws_client("s3")
    head = s3.head_object(Bucket=bucket, Key=key)
    record = record.model_copy(update={"status": "uploaded"})
    media.update(record.media_id, status="uploaded")
    publish_status(record, publisher)
    record = record.model_copy(update={"status": "processing"})
    media.update(record.media_id, status="processing")
    publish_status(record, publisher)
    try:
        if head.get("Metadata", {}).get("owner") != record.owner_id:
            raise ContentRejectedError("the object was not uploaded with its owner's ticket")
        if head["ContentLength"] > record.declared_size:
            raise ContentRejectedError(
                f"the object is {head['ContentLength']} bytes, more than the "
                f"{record.declared_size} declared"
            )
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        detected = sniff(data)
        if detected != canonical(record.declared_content_type):
            raise ContentRejectedError(
                f"the content is {detected or 'of an unrecognised type'}, "
                f"not the declared {record.declared_content_type}"
            )
        found = _derive(record, data, bucket)
    except ContentRejectedError as error:
        record = record.model_copy(update={"status": "failed", "error": str(error)})
        media.update(record.media_id, status="failed", error=str(error))
        publish_status(record, publisher)
        logger.warning("media rejected", extra={"media_id": record.media_id, "reason": str(error)})
        return "failed"
    record = record.model_copy(
        update={"status": "ready", "content_type": detected, "size": len(data), **found}
    )
    media.update(
        record.media_id,
        status="ready",
        content_type=detected,
        size=len(data),
        **found,
    )
    try:
        user_store().add_storage(record.owner_id, len(data))
    except UserNotFoundError:
        logger.warning("no user record to count storage against", extra={"uid": record.owner_id})
    publish_status(record, publisher)
    logger.info("media ready", extra={"media_id": record.media_id, "kind": record.kind})
    return "ready"


def process_upload(
    *,
    bucket: str,
    key: str,
    etag: str,
    media: MediaStore | None = None,
    publisher: RealtimePublisher | None = None,
) -> dict[str, Any]:
    """Process one uploaded object once per (bucket, key, ETag); returns ``{"status": ...}``."""
    if media_id_of(key) is None:
        return {"status": "ignored", "key": key}  # derived objects and foreign prefixes

    def action(payload: dict[str, Any]) -> dict[str, Any]:
        status = _process(
            payload["bucket"],
            payload["key"],
            media or MediaStore(),
            publisher or RealtimePublisher(),
        )
        return {"status": status, "key": payload["key"]}

    return run_once("media-process", {"bucket": bucket, "key": key, "etag": etag}, action)
