"""Media records (DynamoDB single table ``PK=MEDIA#<id>``, ``SK=META``): the system of record
for who owns a file, where its objects are and what processing found.

The status mirrored to Firestore ``media/{id}`` for real-time clients comes from here:
``awaiting_upload`` -> ``uploaded`` -> ``processing`` -> ``ready`` | ``failed``; ``deleted``
after a soft delete (objects are kept, the record says when and by whom).

Example:
    store = MediaStore()
    store.create(MediaRecord(media_id="m1", owner_id="u1", ...))
    store.update("m1", status="ready", width=640)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from hybridstack.services.common import settings
from hybridstack.services.common.clients import dynamodb_table

Status = Literal["awaiting_upload", "uploaded", "processing", "ready", "failed", "deleted"]


class MediaRecord(BaseModel):
    """Everything known about one media item."""

    media_id: str
    owner_id: str
    kind: str
    declared_content_type: str
    declared_size: int
    filename: str
    original_key: str
    status: Status = "awaiting_upload"
    created_at: str
    content_type: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    derived: dict[str, str] = {}
    error: str | None = None
    deleted_at: str | None = None

    def client_fields(self) -> dict[str, Any]:
        """What a client is shown of the item, the same in the Firestore status document and
        in ``GET /media/{id}``: the type found in the content once known, else the declared."""
        return {
            "status": self.status,
            "kind": self.kind,
            "content_type": self.content_type or self.declared_content_type,
            "size": self.size,
            "width": self.width,
            "height": self.height,
            "duration_seconds": self.duration_seconds,
            "error": self.error,
        }


def _key(media_id: str) -> dict[str, str]:
    return {"PK": f"MEDIA#{media_id}", "SK": "META"}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    return value


class MediaStore:
    """Media records in the single table.

    Example:
        MediaStore().get("m1")   # MediaRecord or None
    """

    def __init__(self, table: Any | None = None) -> None:
        self.table = table or dynamodb_table(settings.require(settings.DATABASE_TABLE))

    def create(self, record: MediaRecord) -> None:
        item = {k: _dynamo(v) for k, v in record.model_dump(exclude_none=True).items()}
        self.table.put_item(
            Item={**_key(record.media_id), **item}, ConditionExpression="attribute_not_exists(PK)"
        )

    def get(self, media_id: str) -> MediaRecord | None:
        item = self.table.get_item(Key=_key(media_id), ConsistentRead=True).get("Item")
        if not item:
            return None
        data = {k: _plain(v) for k, v in item.items() if k not in ("PK", "SK")}
        return MediaRecord.model_validate(data)

    def update(self, media_id: str, **values: Any) -> None:
        """Set ``values`` on an existing record."""
        names = {f"#f{i}": name for i, name in enumerate(values)}
        attribute_values = {f":v{i}": _dynamo(v) for i, v in enumerate(values.values())}
        self.table.update_item(
            Key=_key(media_id),
            UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(values))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=attribute_values,
            ConditionExpression="attribute_exists(PK)",
        )
