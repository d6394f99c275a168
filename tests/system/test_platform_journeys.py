"""The rest of the platform through the deployed stack: the analytics schedule fills the
dashboards, a Firebase Storage upload reaches S3 (fake-gcs events -> Pub/Sub push -> API), and a
messaging exchange between two users with a media attachment."""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from tests.system.uploads import png, upload
from tests.system.waiting import DocumentWatch, eventually


def _schedule_target(aws: Any, function_name_part: str) -> dict[str, Any]:
    """The deployed EventBridge rule that invokes the collector, and its target."""
    events = aws("events")
    for rule in events.list_rules()["Rules"]:
        if not rule.get("ScheduleExpression"):
            continue
        for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
            if function_name_part in target["Arn"]:
                return {"rule": rule, "target": target}
    raise AssertionError(f"no scheduled rule targets a function named like {function_name_part!r}")


def test_the_analytics_schedule_fills_the_dashboards(aws, firestore, stack):
    """The rule fires every 5 minutes on the emulator; the test does what a firing does: invoke
    the rule's target asynchronously (InvocationType=Event) with the rule's constant input."""
    scheduled = _schedule_target(aws, "analytics")
    day = "2026-01-15"
    payload = {**json.loads(scheduled["target"].get("Input") or "{}"), "day": day}

    with DocumentWatch(firestore, "dashboards/spotify") as watch:
        accepted = aws("lambda").invoke(
            FunctionName=scheduled["target"]["Arn"],
            InvocationType="Event",
            Payload=json.dumps(payload).encode(),
        )
        dashboard = watch.wait_for(lambda document: document.get("day") == day)

    assert accepted["StatusCode"] == 202
    assert scheduled["rule"]["ScheduleExpression"] == "rate(5 minutes)"
    assert set(payload["sources"]) == {"youtube", "spotify", "tiktok"}
    assert dashboard["source"] == "spotify"
    assert dashboard["items"] > 0
    assert dashboard["totals"]
    for source in ("youtube", "tiktok"):
        assert firestore.document(f"dashboards/{source}").get().to_dict()["day"] == day
    raw = aws("s3").list_objects_v2(
        Bucket=stack.outputs["analyticsBucket"],
        Prefix=f"raw/analytics/source=spotify/dt={day}/",
    )
    assert raw.get("KeyCount", 0) >= 1  # the raw pages, kept for reprocessing


def test_a_firebase_storage_upload_reaches_s3(gcs, aws, firestore, new_user, stack):
    alice = new_user("alice")
    bucket = gcs.bucket(stack.outputs["mediaFirebaseBucket"])
    shared = f"shared/{uuid.uuid4().hex}.txt"
    photo = f"uploads/{alice.uid}/{uuid.uuid4().hex}.png"
    data = png(200, 100)

    bucket.blob(shared).upload_from_string(b"notes from the app", content_type="text/plain")
    bucket.blob(photo).upload_from_string(data, content_type="image/png")

    mirror_key = f"firebase/{bucket.name}/{shared}"

    def mirrored() -> bytes | None:
        try:
            item = aws("s3").get_object(Bucket=stack.outputs["mediaBucket"], Key=mirror_key)
        except aws("s3").exceptions.NoSuchKey:
            return None
        return bytes(item["Body"].read())

    assert eventually(mirrored, f"the copy s3://{mirror_key}") == b"notes from the app"

    def joined_pipeline() -> dict[str, Any] | None:
        for document in (
            firestore.collection("media")
            .where(filter=FieldFilter("ownerId", "==", alice.uid))
            .stream()
        ):
            state = document.to_dict()
            if state.get("status") in ("ready", "failed"):
                return dict(state)
        return None

    media = eventually(joined_pipeline, "the Firebase upload's media record turning ready")
    assert media["status"] == "ready", media
    assert (media["width"], media["height"]) == (200, 100)


class FirestoreAsUser:
    """A client app's Firestore REST reads as one signed-in user (the rules apply)."""

    def __init__(self, host: str, project: str, id_token: str) -> None:
        self.base = f"http://{host}/v1/projects/{project}/databases/(default)/documents"
        self.headers = {"Authorization": f"Bearer {id_token}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}/{path}", headers=self.headers, timeout=30)


def test_a_messaging_exchange_with_an_attachment(api, auth, new_user, stack):
    alice, bob, eve = new_user("alice"), new_user("bob"), new_user("eve")
    ticket = upload(api, alice, png(100, 100))
    eventually(
        lambda: (
            api.call("GET", f"media/{ticket['media_id']}", alice).json().get("status") == "ready"
        ),
        "the attachment turning ready",
    )

    created = api.call("POST", "conversations", alice, json={"members": [bob.uid]})
    conversation = created.json()["conversation_id"]
    sent = api.call(
        "POST",
        f"conversations/{conversation}/messages",
        alice,
        json={"text": "hi bob, photo attached", "attachments": [ticket["media_id"]]},
    )
    message = sent.json()["message_id"]
    path = f"conversations/{conversation}/messages/{message}"
    # Firebase client SDKs send the Auth emulator's token to the Firestore emulator
    as_bob = FirestoreAsUser(
        stack.endpoints.firestore, stack.endpoints.project_id, _emulator_token(auth, bob)
    )
    as_eve = FirestoreAsUser(
        stack.endpoints.firestore, stack.endpoints.project_id, _emulator_token(auth, eve)
    )
    bob_reads = as_bob.get(path)
    eve_reads = as_eve.get(path)
    receipt = api.call(
        "POST", f"conversations/{conversation}/read", bob, json={"message_id": message}
    )
    eve_posts = api.call(
        "POST", f"conversations/{conversation}/messages", eve, json={"text": "let me in"}
    )
    foreign_attachment = api.call(
        "POST",
        f"conversations/{conversation}/messages",
        bob,
        json={"text": "mine now", "attachments": [ticket["media_id"]]},
    )

    assert created.status_code == 201, created.text
    assert sent.status_code == 201, sent.text
    assert bob_reads.status_code == 200, bob_reads.text
    assert bob_reads.json()["fields"]["text"]["stringValue"] == "hi bob, photo attached"
    assert eve_reads.status_code == 403
    assert receipt.status_code == 204, receipt.text
    assert as_bob.get(f"conversations/{conversation}/receipts/{bob.uid}").status_code == 200
    assert eve_posts.status_code == 404
    assert foreign_attachment.status_code == 422


def _emulator_token(auth: Any, user: Any) -> str:
    """The user's own (unsigned) Auth emulator token, as the Firebase client SDK holds it."""
    name = str(user.email).split("-", 1)[0]
    return str(auth.sign_in(str(user.email), f"{name}-secret-pw").id_token)
