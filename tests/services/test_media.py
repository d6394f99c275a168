"""The media flow against the local cloud: signed uploads with S3-enforced conditions,
processing on the real S3 notification (type from content, metadata, derived images, status in
Firestore), owner-only delivery, soft delete, duplicates and bad inputs."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from hybridstack.services.media import api, events
from tests.services.conftest import (
    MEDIA_BUCKET,
    RecordsDatabase,
    claims_of,
    http_event,
    response_json,
)
from tests.services.media_helpers import (
    notify_queue,
    png_bytes,
    post_upload,
    sqs_event,
    sqs_event_for_key,
    wav_bytes,
)

# Media status documents go to Firestore even where a test does not read them.
pytestmark = pytest.mark.emulators("aws", "firestore")


@pytest.fixture
def users(auth: Any) -> dict[str, dict[str, Any]]:
    alice = auth.sign_up("alice@example.com", "alice-secret")
    mallory = auth.sign_up("mallory@example.com", "mallory-secret")
    return {"alice": claims_of(alice), "mallory": claims_of(mallory)}


def request_upload(claims: dict[str, Any], body: Any, context: Any, **kw: Any) -> dict[str, Any]:
    return api.handle(http_event("POST", "/media/upload", claims=claims, body=body, **kw), context)


def get_media(claims: dict[str, Any], media_id: str, context: Any) -> dict[str, Any]:
    event = http_event("GET", f"/media/{media_id}", claims=claims, route="GET /media/{id}")
    return api.handle(event, context)


def test_upload_process_deliver_and_soft_delete_an_image(
    records: RecordsDatabase, users: dict[str, Any], s3: Any, sqs: Any,
    firestore_client: Any, context: Any,
) -> None:  # fmt: skip
    queue = notify_queue(s3, sqs)
    data = png_bytes()
    response = request_upload(
        users["alice"], {"filename": "sunset.png", "content_type": "image/png",
                         "size": len(data)}, context,
    )  # fmt: skip
    assert response["statusCode"] == 201, response["body"]
    ticket = response_json(response)
    media_id = ticket["media_id"]
    assert ticket["key"] == f"images/original/{media_id}.png"
    policy = json.loads(base64.b64decode(ticket["fields"]["policy"]))
    assert ["content-length-range", 1, len(data)] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert {"x-amz-meta-owner": users["alice"]["sub"]} in policy["conditions"]
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)
    status = firestore_client.document(f"media/{media_id}").get().to_dict()
    assert status["status"] == "awaiting_upload"
    assert status["ownerId"] == users["alice"]["sub"]

    uploaded = post_upload(ticket, data, "image/png")
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    head = s3.head_object(Bucket=MEDIA_BUCKET, Key=ticket["key"])
    assert head["Metadata"]["owner"] == users["alice"]["sub"]

    # The first authenticated call created the user record (lazily: no registration ran), in
    # the records database the configuration names.
    [user] = records.user_rows(users["alice"]["sub"])
    assert (user["created_by"], int(user["storage_used_bytes"])) == ("lazy", 0)
    event = sqs_event_for_key(sqs, queue, ticket["key"])
    assert events.handle(event, context) == {"batchItemFailures": []}

    status = firestore_client.document(f"media/{media_id}").get().to_dict()
    assert status["status"] == "ready"
    assert (status["width"], status["height"]) == (1600, 1200)
    assert status["derived"] == [
        "optimized", "thumbnail-large", "thumbnail-medium", "thumbnail-small",
    ]  # fmt: skip
    assert status["updatedAt"] is not None
    for size, box in (("small", 160), ("medium", 480), ("large", 1080)):
        key = f"images/thumbnails/{media_id}/{size}.jpg"
        body = s3.get_object(Bucket=MEDIA_BUCKET, Key=key)["Body"].read()
        with Image.open(io.BytesIO(body)) as thumb:
            assert thumb.format == "JPEG"
            assert max(thumb.size) == box
    optimized = s3.get_object(Bucket=MEDIA_BUCKET, Key=f"images/optimized/{media_id}.webp")
    assert optimized["ContentType"] == "image/webp"
    with Image.open(io.BytesIO(optimized["Body"].read())) as webp:
        assert webp.format == "WEBP"
        assert webp.size == (1600, 1200)

    # The same notification delivered again: no second effect.
    assert events.handle(event, context) == {"batchItemFailures": []}
    [user] = records.user_rows(users["alice"]["sub"])
    assert int(user["storage_used_bytes"]) == len(data)  # counted once

    view = get_media(users["alice"], media_id, context)
    assert view["statusCode"] == 200
    body = response_json(view)
    assert body["status"] == "ready"
    assert body["size"] == len(data)
    assert ticket["key"] in body["url"]
    assert set(body["derived"]) == {
        "optimized", "thumbnail-large", "thumbnail-medium", "thumbnail-small",
    }  # fmt: skip

    other = get_media(users["mallory"], media_id, context)
    assert other["statusCode"] == 404
    assert f"no media with id {media_id!r} for this user" in response_json(other)["message"]

    delete_by_other = api.handle(
        http_event("DELETE", f"/media/{media_id}", claims=users["mallory"]), context
    )
    assert delete_by_other["statusCode"] == 404
    deleted = api.handle(http_event("DELETE", f"/media/{media_id}", claims=users["alice"]), context)
    assert deleted["statusCode"] == 204
    gone = get_media(users["alice"], media_id, context)
    assert gone["statusCode"] == 410
    assert "was deleted" in response_json(gone)["message"]
    assert firestore_client.document(f"media/{media_id}").get().to_dict()["status"] == "deleted"
    s3.head_object(Bucket=MEDIA_BUCKET, Key=ticket["key"])  # soft: the object is kept


def test_content_is_checked_not_the_name_or_declared_type(
    platform: dict[str, str], users: dict[str, Any], s3: Any, sqs: Any, firestore_client: Any,
    context: Any,
) -> None:  # fmt: skip
    queue = notify_queue(s3, sqs)
    fake = b"<html><body>not a picture</body></html>"
    ticket = response_json(request_upload(
        users["alice"], {"filename": "cat.png", "content_type": "image/png", "size": len(fake)},
        context,
    ))  # fmt: skip
    assert post_upload(ticket, fake, "image/png").ok
    assert events.handle(sqs_event_for_key(sqs, queue, ticket["key"]), context) == {
        "batchItemFailures": []
    }
    status = firestore_client.document(f"media/{ticket['media_id']}").get().to_dict()
    assert status["status"] == "failed"
    assert "not the declared image/png" in status["error"]
    view = response_json(get_media(users["alice"], ticket["media_id"], context))
    assert (view["status"], view["url"]) == ("failed", None)


def test_audio_duration_is_extracted(
    platform: dict[str, str], users: dict[str, Any], s3: Any, sqs: Any, context: Any
) -> None:
    queue = notify_queue(s3, sqs)
    data = wav_bytes(seconds=1.5)
    ticket = response_json(request_upload(
        users["alice"], {"filename": "memo.wav", "content_type": "audio/x-wav", "size": len(data)},
        context,
    ))  # fmt: skip
    assert ticket["key"] == f"voice/original/{ticket['media_id']}.wav"
    assert post_upload(ticket, data, "audio/wav").ok
    events.handle(sqs_event_for_key(sqs, queue, ticket["key"]), context)
    view = response_json(get_media(users["alice"], ticket["media_id"], context))
    assert view["status"] == "ready"
    assert view["duration_seconds"] == pytest.approx(1.5, abs=0.01)


def test_s3_refuses_a_file_larger_than_declared_or_of_another_type(
    platform: dict[str, str], users: dict[str, Any], s3: Any, context: Any
) -> None:
    ticket = response_json(request_upload(
        users["alice"], {"filename": "a.png", "content_type": "image/png", "size": 100}, context
    ))  # fmt: skip
    too_big = post_upload(ticket, b"\x89PNG" + b"0" * 500, "image/png")
    assert too_big.status_code == 400
    assert "EntityTooLarge" in too_big.text

    tampered = dict(ticket, fields=dict(ticket["fields"], **{"Content-Type": "text/html"}))
    assert not post_upload(tampered, b"<html></html>", "text/html").ok
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=MEDIA_BUCKET, Key=ticket["key"])


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ('{"filename": "a.png", ', "application/json", 400, "malformed JSON body"),
        ("filename=a.png", "text/plain", 415, "send Content-Type: application/json"),
        ([1, 2], "application/json", 400, "must be a JSON object, not a JSON list"),
        ({"filename": "a.exe", "content_type": "application/x-msdownload", "size": 10},
         "application/json", 422, "content_type 'application/x-msdownload' is not accepted"),
        ({"filename": "a.png", "content_type": "image/png", "size": 0},
         "application/json", 422, "size: Input should be greater than 0"),
        ({"filename": "a.png", "content_type": "image/png"},
         "application/json", 422, "size: Field required"),
        ({"filename": "a.png", "content_type": "image/png", "size": 21 * 1024 * 1024},
         "application/json", 413, "above the 20971520 bytes accepted for image/png"),
    ],
)  # fmt: skip
def test_upload_requests_are_validated(
    platform: dict[str, str], users: dict[str, Any], context: Any,
    body: Any, content_type: str, status: int, message: str,
) -> None:  # fmt: skip
    response = request_upload(users["alice"], body, context, content_type=content_type)
    assert response["statusCode"] == status
    assert message in response_json(response)["message"]


def test_unknown_media_and_anonymous_callers(
    platform: dict[str, str], users: dict[str, Any], context: Any
) -> None:
    unknown = get_media(users["alice"], "0123456789abcdef", context)
    assert unknown["statusCode"] == 404
    assert "no media with id '0123456789abcdef'" in response_json(unknown)["message"]
    anonymous = api.handle(http_event("GET", "/media/abc"), context)
    assert anonymous["statusCode"] == 401


def test_a_poison_message_fails_alone_in_its_batch(
    platform: dict[str, str], users: dict[str, Any], context: Any
) -> None:
    ticket = response_json(request_upload(
        users["alice"], {"filename": "a.png", "content_type": "image/png", "size": 10}, context
    ))  # fmt: skip
    body = (
        '{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "media"}, '
        f'"object": {{"key": "{ticket["key"]}", "eTag": "1"}}}}}}]}}'
    )
    event = sqs_event(["not json", '{"Records": [{"s3": {}}]}', '{"Event": "s3:TestEvent"}'])
    result = events.handle(event, context)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-0"},
                                            {"itemIdentifier": "m-1"}]}  # fmt: skip
    # An object announced before it exists is retried (infrastructure), not marked failed.
    assert events.handle(sqs_event([body]), context) == {
        "batchItemFailures": [{"itemIdentifier": "m-0"}]
    }
