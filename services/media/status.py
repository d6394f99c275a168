"""The ``media/{id}`` document real-time clients watch (written with the RealtimePublisher).

Example:
    publish_status(record)     # media/m1 = {ownerId, status, ..., updatedAt: <server time>}
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from hybridstack.services.media.records import MediaRecord, Status
from hybridstack.services.realtime.publisher import RealtimePublisher


class MediaStatusDocument(BaseModel):
    """What a client sees of a media item while it is processed (camelCase in Firestore)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    owner_id: str
    status: Status
    kind: str
    content_type: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    derived: list[str] = []
    error: str | None = None


def status_document(record: MediaRecord) -> MediaStatusDocument:
    return MediaStatusDocument(
        owner_id=record.owner_id, derived=sorted(record.derived), **record.client_fields()
    )


def publish_status(record: MediaRecord, publisher: RealtimePublisher | None = None) -> None:
    """Write the record's status to ``media/{id}`` now."""
    (publisher or RealtimePublisher()).publish(f"media/{record.media_id}", status_document(record))
