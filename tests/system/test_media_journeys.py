"""Media through the deployed stack: ask the API for an upload, upload to S3 with the pre-signed
POST, watch the ``media/{id}`` document turn ``ready`` with a Firestore listener, fetch the
variants, and the ways an upload is refused."""

from __future__ import annotations

import requests

from tests.system.uploads import png, upload
from tests.system.waiting import DocumentWatch, eventually


def test_an_upload_becomes_ready_with_its_variants(api, new_user, firestore, aws, stack):
    alice = new_user("alice")
    data = png()
    asked = api.call(
        "POST",
        "media/upload",
        alice,
        json={"filename": "photo.png", "content_type": "image/png", "size": len(data)},
    )
    assert asked.status_code == 201, asked.text
    ticket = asked.json()

    with DocumentWatch(firestore, f"media/{ticket['media_id']}") as watch:
        sent = requests.post(
            ticket["url"],
            data=ticket["fields"],
            files={"file": ("photo.png", data, "image/png")},
            timeout=60,
        )
        assert sent.status_code in (200, 204), sent.text
        ready = watch.wait_for(lambda document: document.get("status") in ("ready", "failed"))

    assert ready["status"] == "ready", ready
    assert ready["ownerId"] == alice.uid
    assert (ready["width"], ready["height"]) == (640, 480)
    assert watch.seen[0]["status"] == "awaiting_upload"  # the listener saw the whole story
    listed = aws("s3").list_objects_v2(Bucket=stack.outputs["mediaBucket"])
    keys = {item["Key"] for item in listed.get("Contents", [])}
    assert f"images/optimized/{ticket['media_id']}.webp" in keys
    assert any(key.startswith(f"images/thumbnails/{ticket['media_id']}/") for key in keys)


def test_the_owner_gets_working_media_urls_and_nobody_else_does(api, new_user):
    alice, mallory = new_user("alice"), new_user("mallory")
    data = png(320, 200)
    ticket = upload(api, alice, data)
    eventually(
        lambda: api.call("GET", f"media/{ticket['media_id']}", alice).json()["status"] == "ready",
        "the upload turning ready",
    )

    view = api.call("GET", f"media/{ticket['media_id']}", alice)
    refused = api.call("GET", f"media/{ticket['media_id']}", mallory)

    assert view.status_code == 200, view.text
    original = requests.get(view.json()["url"], timeout=60)
    assert original.status_code == 200
    assert original.content == data
    assert set(view.json()["derived"]) >= {"optimized", "thumbnail-small"}
    thumbnail = requests.get(view.json()["derived"]["thumbnail-small"], timeout=60)
    assert thumbnail.status_code == 200
    assert thumbnail.headers["Content-Type"] == "image/jpeg"
    assert refused.status_code == 404  # another user is not even told it exists
    deleted_by_other = api.call("DELETE", f"media/{ticket['media_id']}", mallory)
    assert deleted_by_other.status_code == 404
    assert api.call("GET", f"media/{ticket['media_id']}", alice).status_code == 200


def test_an_oversize_upload_is_refused_by_the_api_and_by_s3(api, new_user):
    alice = new_user("alice")

    declared_too_big = api.call(
        "POST",
        "media/upload",
        alice,
        json={"filename": "huge.png", "content_type": "image/png", "size": 500 * 1024 * 1024},
    )
    ticket = api.call(
        "POST",
        "media/upload",
        alice,
        json={"filename": "small.png", "content_type": "image/png", "size": 100},
    ).json()
    sent_more = requests.post(
        ticket["url"],
        data=ticket["fields"],
        files={"file": ("small.png", png(), "image/png")},
        timeout=60,
    )

    assert declared_too_big.status_code == 413
    assert "image/png" in declared_too_big.json()["message"]
    assert sent_more.status_code == 400  # the signed policy's content-length-range
    assert "EntityTooLarge" in sent_more.text


def test_a_wrong_type_is_refused_with_the_types_accepted(api, new_user, firestore):
    alice = new_user("alice")

    wrong_type = api.call(
        "POST",
        "media/upload",
        alice,
        json={"filename": "run.exe", "content_type": "application/x-msdownload", "size": 10},
    )
    not_json = api.call(
        "POST",
        "media/upload",
        alice,
        data="filename=a.png",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert wrong_type.status_code == 422
    assert "image/png" in wrong_type.json()["message"]
    assert not_json.status_code == 415


def test_content_that_lies_about_its_type_ends_failed(api, new_user, firestore):
    alice = new_user("alice")
    fake = b"MZ this is not a picture" * 20
    asked = api.call(
        "POST",
        "media/upload",
        alice,
        json={"filename": "photo.png", "content_type": "image/png", "size": len(fake)},
    )
    ticket = asked.json()

    with DocumentWatch(firestore, f"media/{ticket['media_id']}") as watch:
        requests.post(
            ticket["url"],
            data=ticket["fields"],
            files={"file": ("photo.png", fake, "image/png")},
            timeout=60,
        )
        final = watch.wait_for(lambda document: document.get("status") in ("ready", "failed"))

    assert final["status"] == "failed"
    assert final["error"]
