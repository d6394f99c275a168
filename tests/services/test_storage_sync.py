"""Firebase Storage (fake-gcs-server) -> S3 (MiniStack) through the Pub/Sub push endpoint."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from hybridstack.services.media import storage_sync_api
from tests.services.conftest import MEDIA_BUCKET, http_event, response_json


def push_body(blob: Any, event_type: str = "OBJECT_FINALIZE", message_id: str = "1") -> dict:
    """What a Pub/Sub push subscription POSTs for a Cloud Storage notification."""
    resource = {"bucket": blob.bucket.name, "name": blob.name, "generation": str(blob.generation),
                "contentType": blob.content_type, "size": str(blob.size)}  # fmt: skip
    config = f"projects/_/buckets/{blob.bucket.name}/notificationConfigs/1"
    return {
        "message": {
            "attributes": {
                "eventType": event_type,
                "bucketId": blob.bucket.name,
                "objectId": blob.name,
                "objectGeneration": str(blob.generation),
                "payloadFormat": "JSON_API_V1",
                "notificationConfig": config,
            },
            "data": base64.b64encode(json.dumps(resource).encode()).decode(),
            "messageId": message_id,
            "publishTime": "2026-11-22T13:00:00Z",
        },
        "subscription": "projects/demo-hybridstack/subscriptions/storage-to-s3",
    }


def push(body: Any, context: Any, **kw: Any) -> dict[str, Any]:
    return storage_sync_api.handle(
        http_event("POST", "/internal/storage-events", body=body, **kw), context
    )


def test_uploads_and_deletes_are_mirrored_once(
    platform: dict[str, str], storage_bucket: Any, s3: Any, context: Any
) -> None:
    blob = storage_bucket.blob("uploads/u1/song.mp3")
    blob.metadata = {"artist": "Ada"}
    blob.upload_from_string(b"ID3" + b"\x00" * 64, content_type="audio/mpeg")
    blob.reload()
    key = f"firebase/{storage_bucket.name}/uploads/u1/song.mp3"

    assert push(push_body(blob), context)["statusCode"] == 204
    copy = s3.get_object(Bucket=MEDIA_BUCKET, Key=key)
    assert copy["Body"].read() == b"ID3" + b"\x00" * 64
    assert copy["ContentType"] == "audio/mpeg"
    assert copy["Metadata"]["generation"] == str(blob.generation)
    assert copy["Metadata"]["fb-artist"] == "Ada"

    # A redelivered push is acknowledged without copying again.
    s3.delete_object(Bucket=MEDIA_BUCKET, Key=key)
    assert push(push_body(blob), context)["statusCode"] == 204
    assert "Contents" not in s3.list_objects_v2(Bucket=MEDIA_BUCKET, Prefix="firebase/")

    newer = storage_bucket.blob("uploads/u1/song.mp3")
    newer.upload_from_string(b"ID3v2", content_type="audio/mpeg")
    newer.reload()
    assert push(push_body(newer, message_id="2"), context)["statusCode"] == 204
    assert s3.get_object(Bucket=MEDIA_BUCKET, Key=key)["Body"].read() == b"ID3v2"
    # A late event of the older generation never overwrites the newer copy.
    assert push(push_body(blob, message_id="3"), context)["statusCode"] == 204
    assert s3.get_object(Bucket=MEDIA_BUCKET, Key=key)["Body"].read() == b"ID3v2"

    newer.delete()
    assert push(push_body(newer, "OBJECT_DELETE", message_id="4"), context)["statusCode"] == 204
    assert "Contents" not in s3.list_objects_v2(Bucket=MEDIA_BUCKET, Prefix="firebase/")


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("{not json", 400, "malformed JSON body"),
        ({"subscription": "s"}, 422, "message: Field required"),
        ({"message": {"attributes": {"eventType": "OBJECT_FINALIZE"}}, "subscription": "s"},
         422, "invalid storage notification attributes: bucket: Input should be a valid string"),
        ({"message": {"attributes": {"eventType": "BUCKET_CREATED", "bucketId": "b12",
                                     "objectId": "a", "objectGeneration": "1"}},
          "subscription": "s"}, 422, "event_type: Input should be 'OBJECT_FINALIZE'"),
    ],
)  # fmt: skip
def test_malformed_pushes_are_refused_with_the_reason(
    platform: dict[str, str], context: Any, body: Any, status: int, message: str
) -> None:
    response = push(body, context)
    assert response["statusCode"] == status
    assert message in response_json(response)["message"]


def test_outside_the_local_stack_a_push_needs_the_linked_caller(
    platform: dict[str, str], monkeypatch: pytest.MonkeyPatch, context: Any
) -> None:
    monkeypatch.setenv("HYBRIDSTACK_ENV", "dev")
    monkeypatch.setenv("PUSH_GOOGLE_CALLER", "pusher@demo.iam.gserviceaccount.com")
    assert push({"message": {"attributes": {}}, "subscription": "s"}, context)["statusCode"] == 401
    stranger = {"sub": "1", "email": "x@gmail.com", "iss": "https://accounts.google.com"}
    refused = push({"message": {"attributes": {}}, "subscription": "s"}, context, claims=stranger)
    assert refused["statusCode"] == 403
