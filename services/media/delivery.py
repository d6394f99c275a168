"""What an owner gets back for a media id: its status, metadata and delivery URLs; and the
soft delete.

Only the owner sees a media item: anyone else gets the same "no such media" as for an unknown
id (existence is not leaked). URLs are on the CDN (``MEDIA_CDN_URL``) when one is linked, else
pre-signed GETs valid for an hour.

Example:
    view = media_view(caller, "m1")       # MediaView(status="ready", url=..., thumbnails=...)
    soft_delete(caller, "m1")
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from pydantic import BaseModel

from hybridstack.services.common import settings
from hybridstack.services.common.clients import aws_client
from hybridstack.services.common.http import Caller
from hybridstack.services.media.records import MediaRecord, MediaStore, Status
from hybridstack.services.media.status import publish_status
from hybridstack.services.realtime.publisher import RealtimePublisher

URL_SECONDS = 3600


class MediaNotFoundError(LookupError):
    """No media with that id for this caller."""


class MediaGoneError(LookupError):
    """The media was deleted."""


class MediaView(BaseModel):
    """``GET /media/{id}``'s answer."""

    media_id: str
    status: Status
    kind: str
    content_type: str
    size: int | None
    width: int | None
    height: int | None
    duration_seconds: float | None
    url: str | None
    derived: dict[str, str]
    error: str | None


def delivery_url(key: str) -> str:
    """The CDN URL of ``key`` when a CDN is linked, else an hour-long pre-signed GET."""
    cdn = os.environ.get(settings.MEDIA_CDN_URL)
    if cdn:
        return f"{cdn.rstrip('/')}/{key}"
    url: str = aws_client("s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.require(settings.MEDIA_BUCKET), "Key": key},
        ExpiresIn=URL_SECONDS,
    )
    return url


def owned_record(owner: Caller, media_id: str, media: MediaStore) -> MediaRecord:
    record = media.get(media_id)
    if record is None or record.owner_id != owner.uid:
        raise MediaNotFoundError(f"no media with id {media_id!r} for this user")
    if record.deleted_at is not None:
        raise MediaGoneError(f"media {media_id!r} was deleted at {record.deleted_at}")
    return record


def media_view(owner: Caller, media_id: str, *, media: MediaStore | None = None) -> MediaView:
    record = owned_record(owner, media_id, media or MediaStore())
    ready = record.status == "ready"
    return MediaView(
        media_id=record.media_id,
        url=delivery_url(record.original_key) if ready else None,
        derived={name: delivery_url(key) for name, key in record.derived.items()} if ready else {},
        **record.client_fields(),
    )


def soft_delete(
    owner: Caller,
    media_id: str,
    *,
    media: MediaStore | None = None,
    publisher: RealtimePublisher | None = None,
) -> None:
    """Mark the media deleted (objects stay for the bucket's lifecycle rules to expire)."""
    store = media or MediaStore()
    record = owned_record(owner, media_id, store)
    now = datetime.now(UTC).isoformat()
    store.update(media_id, deleted_at=now, status="deleted")
    publish_status(record.model_copy(update={"status": "deleted", "deleted_at": now}), publisher)
