"""Firebase Storage (fake-gcs-server) -> S3 (MiniStack) through the Pub/Sub push endpoint:
user uploads join the media pipeline, other objects are mirrored, pushes are validated."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from hybridstack.services.media import events, sync
from hybridstack.services.media.records import MediaStore
from tests.services.conftest import MEDIA_BUCKET, http_event, response_json
from tests.services.media_helpers import notify_queue, png_bytes, sqs_event_for_key

# Media status documents go to Firestore even where a test does not read them.
pytestmark = pytest.mark.emulators("aws", "firestore")


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
        "subscription": "projects/demo-hybridstack/subscriptions/media-sync",
    }


def push(body: Any, context: Any, **kw: Any) -> dict[str, Any]:
    return sync.handle(http_event("POST", "/media/sync", body=body, **kw), context)


def test_a_firebase_upload_joins_the_media_pipeline(
    platform: dict[str, str], storage_bucket: Any, s3: Any, sqs: Any, firestore_client: Any,
    context: Any,
) -> None:  # fmt: skip
    queue = notify_queue(s3, sqs)
    blob = storage_bucket.blob("uploads/alice-uid/holiday.png")
    blob.upload_from_string(png_bytes(640, 480), content_type="image/png")
    blob.reload()

    assert push(push_body(blob), context)["statusCode"] == 204
    media = list(MediaStore().table.scan()["Items"])
    assert len(media) == 1
    record = MediaStore().get(media[0]["media_id"])
    assert record is not None
    assert (record.owner_id, record.filename) == ("alice-uid", "holiday.png")
    assert record.original_key == f"images/original/{record.media_id}.png"
    head = s3.head_object(Bucket=MEDIA_BUCKET, Key=record.original_key)
    assert head["Metadata"]["owner"] == "alice-uid"

    # A redelivered push finds the same media, nothing new is created.
    assert push(push_body(blob, message_id="2"), context)["statusCode"] == 204
    assert len(MediaStore().table.scan()["Items"]) == 1

    events.handle(sqs_event_for_key(sqs, queue, record.original_key), context)
    status = firestore_client.document(f"media/{record.media_id}").get().to_dict()
    assert (status["status"], status["width"], status["height"]) == ("ready", 640, 480)


def test_an_unaccepted_firebase_upload_fails_with_the_reason(
    platform: dict[str, str], storage_bucket: Any, s3: Any, firestore_client: Any, context: Any
) -> None:
    blob = storage_bucket.blob("uploads/bob-uid/tool.exe")
    blob.upload_from_string(b"MZ\x90\x00", content_type="application/x-msdownload")
    blob.reload()
    assert push(push_body(blob), context)["statusCode"] == 204
    (item,) = MediaStore().table.scan()["Items"]
    status = firestore_client.document(f"media/{item['media_id']}").get().to_dict()
    assert status["status"] == "failed"
    assert "'application/x-msdownload' is not accepted" in status["error"]
    assert "Contents" not in s3.list_objects_v2(Bucket=MEDIA_BUCKET)


def test_other_objects_are_mirrored_once_and_deletes_follow(
    platform: dict[str, str], storage_bucket: Any, s3: Any, context: Any
) -> None:
    blob = storage_bucket.blob("exports/2026-11-22/users.json")
    blob.metadata = {"job": "nightly"}
    blob.upload_from_string(b'{"users": 3}', content_type="application/json")
    blob.reload()
    key = f"firebase/{storage_bucket.name}/exports/2026-11-22/users.json"

    assert push(push_body(blob), context)["statusCode"] == 204
    copy = s3.get_object(Bucket=MEDIA_BUCKET, Key=key)
    assert copy["Body"].read() == b'{"users": 3}'
    assert copy["ContentType"] == "application/json"
    assert copy["Metadata"]["generation"] == str(blob.generation)
    assert copy["Metadata"]["fb-job"] == "nightly"

    # A redelivered push is acknowledged without copying again.
    s3.delete_object(Bucket=MEDIA_BUCKET, Key=key)
    assert push(push_body(blob), context)["statusCode"] == 204
    assert "Contents" not in s3.list_objects_v2(Bucket=MEDIA_BUCKET, Prefix="firebase/")

    newer = storage_bucket.blob(blob.name)
    newer.upload_from_string(b'{"users": 4}', content_type="application/json")
    newer.reload()
    assert push(push_body(newer, message_id="2"), context)["statusCode"] == 204
    assert s3.get_object(Bucket=MEDIA_BUCKET, Key=key)["Body"].read() == b'{"users": 4}'
    # A late event of the older generation never overwrites the newer copy.
    assert push(push_body(blob, message_id="3"), context)["statusCode"] == 204
    assert s3.get_object(Bucket=MEDIA_BUCKET, Key=key)["Body"].read() == b'{"users": 4}'

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


def test_a_push_about_another_bucket_is_refused(
    platform: dict[str, str], monkeypatch: pytest.MonkeyPatch, context: Any
) -> None:
    monkeypatch.setenv("MEDIA_FIREBASE_BUCKET", "demo-hybridstack.appspot.com")
    attributes = {"eventType": "OBJECT_FINALIZE", "bucketId": "someone-else", "objectId": "a",
                  "objectGeneration": "1"}  # fmt: skip
    response = push({"message": {"attributes": attributes}, "subscription": "s"}, context)
    assert response["statusCode"] == 422
    assert "is not the linked 'demo-hybridstack.appspot.com'" in response_json(response)["message"]


def test_outside_the_local_stack_a_push_needs_the_push_service_account(
    platform: dict[str, str], monkeypatch: pytest.MonkeyPatch, context: Any
) -> None:
    monkeypatch.setenv("HYBRIDSTACK_ENV", "dev")
    monkeypatch.setenv("MEDIA_PUSH_SERVICE_ACCOUNT", "push@demo.iam.gserviceaccount.com")
    assert push({"message": {"attributes": {}}, "subscription": "s"}, context)["statusCode"] == 401
    stranger = {"sub": "1", "email": "x@gmail.com", "iss": "https://accounts.google.com"}
    refused = push({"message": {"attributes": {}}, "subscription": "s"}, context, claims=stranger)
    assert refused["statusCode"] == 403
    assert "push@demo.iam.gserviceaccount.com only" in response_json(refused)["message"]
