"""Pre-signed uploads bound to the caller: one object key, one content type, a size ceiling,
ten minutes.

The client asks with what it intends to upload (``filename``, ``content_type``, ``size``);
it gets an S3 pre-signed POST whose policy fixes the key (``images/original/<id>.png``), the
``Content-Type``, the owner metadata (``x-amz-meta-owner`` = the caller's uid) and
``content-length-range`` 1..``size``, expiring in 600 s. S3 itself refuses any other file, so
processing can trust that the object under that key was sent by its owner.

Example:
    ticket = create_upload(caller, UploadRequest(filename="cat.png", content_type="image/png",
                                                 size=48_213))
    requests.post(ticket.url, data=ticket.fields, files={"file": data})
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field, model_validator

from hybridstack.services.common import settings
from hybridstack.services.common.clients import aws_client
from hybridstack.services.common.http import Caller, RequestBody
from hybridstack.services.common.text import Line
from hybridstack.services.media.records import MediaRecord, MediaStore
from hybridstack.services.media.status import publish_status
from hybridstack.services.media.types import MEDIA_TYPES, canonical
from hybridstack.services.realtime.publisher import RealtimePublisher

UPLOAD_EXPIRY_SECONDS = 600


class UploadTooLargeError(ValueError):
    """The declared size is above the maximum for the content type."""


class UploadRequest(RequestBody):
    """The body of ``POST /media/upload`` (``size`` a JSON integer: not ``"100"``, not ``true``)."""

    filename: Line = Field(min_length=1, max_length=255)
    content_type: Line = Field(min_length=3, max_length=100)
    size: int = Field(gt=0, description="bytes the client will upload")

    @model_validator(mode="after")
    def _accepted_type(self) -> UploadRequest:
        self.content_type = canonical(self.content_type)
        if self.content_type not in MEDIA_TYPES:
            raise ValueError(
                f"content_type {self.content_type!r} is not accepted; accepted types: "
                f"{', '.join(sorted(MEDIA_TYPES))}"
            )
        return self


class UploadTicket(BaseModel):
    """Where and how to upload: POST ``fields`` + the file (last) to ``url``."""

    media_id: str
    key: str
    url: str
    fields: dict[str, str]
    max_size: int
    expires_at: str


def create_upload(
    owner: Caller,
    request: UploadRequest,
    *,
    media: MediaStore | None = None,
    publisher: RealtimePublisher | None = None,
) -> UploadTicket:
    """Record the pending upload and sign the POST that may fulfil it."""
    media_type = MEDIA_TYPES[request.content_type]
    if request.size > media_type.max_bytes:
        raise UploadTooLargeError(
            f"size {request.size} bytes is above the {media_type.max_bytes} bytes accepted for "
            f"{request.content_type}"
        )
    bucket = settings.require(settings.MEDIA_BUCKET)
    media_id = uuid.uuid4().hex
    key = media_type.original_key(media_id)
    now = datetime.now(UTC)
    record = MediaRecord(
        media_id=media_id,
        owner_id=owner.uid,
        kind=media_type.kind,
        declared_content_type=request.content_type,
        declared_size=request.size,
        filename=request.filename,
        original_key=key,
        created_at=now.isoformat(),
    )
    (media or MediaStore()).create(record)
    publish_status(record, publisher)
    fields = {
        "Content-Type": request.content_type,
        "x-amz-meta-owner": owner.uid,
        "x-amz-meta-media-id": media_id,
    }
    conditions: list[object] = [
        {"Content-Type": request.content_type},
        {"x-amz-meta-owner": owner.uid},
        {"x-amz-meta-media-id": media_id},
        ["content-length-range", 1, request.size],
    ]
    post = aws_client("s3").generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields=fields,
        Conditions=conditions,
        ExpiresIn=UPLOAD_EXPIRY_SECONDS,
    )
    return UploadTicket(
        media_id=media_id,
        key=key,
        url=post["url"],
        fields=post["fields"],
        max_size=request.size,
        expires_at=(now + timedelta(seconds=UPLOAD_EXPIRY_SECONDS)).isoformat(),
    )
