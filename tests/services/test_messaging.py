"""Messaging against the Firestore emulator WITH the platform's rules loaded: non-admin requests
carrying Auth emulator ID tokens show that conversations stay with their members; the API
creates conversations, sends messages with media attachments and records read receipts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from hybridstack.components.firestore_rules import validate_firestore_rules
from hybridstack.services.media.records import MediaRecord, MediaStore
from hybridstack.services.messaging import api
from hybridstack.services.messaging.rules import rules_text
from tests.services.conftest import claims_of, http_event, response_json

OPEN_RULES = (
    "rules_version = '2';\nservice cloud.firestore {\n  match /databases/{database}/documents {\n"
    "    match /{document=**} { allow read, write: if true; }\n  }\n}\n"
)


class UserClient:
    """A client app's Firestore REST calls as one signed-in user (no admin privileges)."""

    def __init__(self, host: str, project: str, token: str) -> None:
        self.root = f"projects/{project}/databases/(default)/documents"
        self.base = f"http://{host}/v1/{self.root}"
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}/{path}", headers=self.headers, timeout=10)

    def create(self, path: str, fields: dict[str, Any], server_time: str | None = None) -> int:
        write: dict[str, Any] = {
            "update": {"name": f"{self.root}/{path}", "fields": fields},
            "currentDocument": {"exists": False},
        }
        if server_time:
            write["updateTransforms"] = [
                {"fieldPath": server_time, "setToServerValue": "REQUEST_TIME"}
            ]
        response = requests.post(f"{self.base}:commit", json={"writes": [write]},
                                 headers=self.headers, timeout=10)  # fmt: skip
        return response.status_code


def text(value: str) -> dict[str, str]:
    return {"stringValue": value}


@pytest.fixture
def rules(cloud: Any) -> Iterator[None]:
    """The platform's rules loaded into the Firestore emulator for this test."""

    def load(source: str) -> None:
        response = requests.put(
            f"http://{cloud.firestore}/emulator/v1/projects/{cloud.project_id}:securityRules",
            json={"rules": {"files": [{"name": "firestore.rules", "content": source}]}},
            timeout=10,
        )
        assert response.ok, response.text

    load(rules_text())
    yield
    load(OPEN_RULES)  # the emulator's state before: no rules, i.e. open


@pytest.fixture
def people(auth: Any, cloud: Any) -> dict[str, Any]:
    users = {name: auth.sign_up(f"{name}@example.com", f"{name}-secret")
             for name in ("alice", "bob", "eve")}  # fmt: skip
    return {
        name: {"user": user, "claims": claims_of(user),
               "client": UserClient(cloud.firestore, cloud.project_id, user.id_token)}
        for name, user in users.items()
    }  # fmt: skip


def conversation_of(people: dict[str, Any], context: Any, *names: str) -> str:
    members = [people[name]["user"].uid for name in names[1:]]
    response = api.handle(
        http_event("POST", "/conversations", claims=people[names[0]]["claims"],
                   body={"members": members, "title": "band"}), context,
    )  # fmt: skip
    assert response["statusCode"] == 201, response["body"]
    return str(response_json(response)["conversation_id"])


def test_the_rules_are_closed() -> None:
    validate_firestore_rules(rules_text(), origin="services/messaging/firestore.rules")


def test_conversations_are_readable_and_writable_by_members_only(
    platform: dict[str, str], rules: None, people: dict[str, Any], firestore_client: Any,
    context: Any,
) -> None:  # fmt: skip
    cid = conversation_of(people, context, "alice", "bob")
    alice, bob, eve = (people[n]["client"] for n in ("alice", "bob", "eve"))
    uid = {name: people[name]["user"].uid for name in people}

    assert alice.get(f"conversations/{cid}").status_code == 200
    assert bob.get(f"conversations/{cid}").status_code == 200
    assert eve.get(f"conversations/{cid}").status_code == 403

    message = {"senderId": text(uid["bob"]), "text": text("hi alice")}
    assert bob.create(f"conversations/{cid}/messages/m1", message, server_time="sentAt") == 200
    assert eve.create(f"conversations/{cid}/messages/m2",
                      {"senderId": text(uid["eve"]), "text": text("let me in")},
                      server_time="sentAt") == 403  # fmt: skip
    impersonation = {"senderId": text(uid["alice"]), "text": text("I am alice")}
    assert bob.create(f"conversations/{cid}/messages/m3", impersonation, "sentAt") == 403
    forged_attachment = dict(message, attachments={"arrayValue": {"values": [text("x")]}})
    assert bob.create(f"conversations/{cid}/messages/m4", forged_attachment, "sentAt") == 403
    client_clock = dict(message, sentAt={"timestampValue": "2020-01-01T00:00:00Z"})
    assert bob.create(f"conversations/{cid}/messages/m5", client_clock) == 403

    assert alice.get(f"conversations/{cid}/messages/m1").status_code == 200
    assert eve.get(f"conversations/{cid}/messages/m1").status_code == 403

    receipt = {"lastReadMessageId": text("m1")}
    assert alice.create(f"conversations/{cid}/receipts/{uid['alice']}", receipt,
                        server_time="readAt") == 200  # fmt: skip
    assert alice.create(f"conversations/{cid}/receipts/{uid['bob']}", receipt, "readAt") == 403
    assert eve.get(f"conversations/{cid}/receipts/{uid['alice']}").status_code == 403

    own_conversation = {"members": {"arrayValue": {"values": [text(uid["eve"]),
                                                              text(uid["alice"])]}},
                        "createdBy": text(uid["eve"])}  # fmt: skip
    assert eve.create("conversations/c-eve", own_conversation) == 200
    someone_elses = dict(own_conversation, createdBy=text(uid["alice"]))
    assert eve.create("conversations/c-forged", someone_elses) == 403

    firestore_client.document("media/m-alice").set({"ownerId": uid["alice"], "status": "ready"})
    assert alice.get("media/m-alice").status_code == 200
    assert eve.get("media/m-alice").status_code == 403


def ready_media(owner_uid: str, media_id: str, status: str = "ready") -> None:
    MediaStore().create(MediaRecord(
        media_id=media_id, owner_id=owner_uid, kind="image", declared_content_type="image/png",
        declared_size=10, filename="a.png", original_key=f"images/original/{media_id}.png",
        status=status, created_at=datetime.now(UTC).isoformat(), content_type="image/png",  # type: ignore[arg-type]
        size=10, width=4, height=3,
    ))  # fmt: skip


def test_messages_with_attachments_and_read_receipts_through_the_api(
    platform: dict[str, str], people: dict[str, Any], firestore_client: Any, context: Any
) -> None:
    cid = conversation_of(people, context, "alice", "bob")
    alice, bob, eve = (people[n]["claims"] for n in ("alice", "bob", "eve"))
    ready_media(alice["sub"], "aaa111")
    ready_media(alice["sub"], "bbb222", status="processing")
    ready_media(bob["sub"], "ccc333")

    def send(claims: dict[str, Any], body: Any, conversation: str = cid) -> dict[str, Any]:
        path = f"/conversations/{conversation}/messages"
        return api.handle(http_event("POST", path, claims=claims, body=body), context)

    sent = send(alice, {"text": "new demo", "attachments": ["aaa111"]})
    assert sent["statusCode"] == 201, sent["body"]
    message_id = response_json(sent)["message_id"]
    stored = firestore_client.document(f"conversations/{cid}/messages/{message_id}").get()
    assert stored.get("senderId") == alice["sub"]
    assert stored.get("attachments") == [{
        "mediaId": "aaa111", "kind": "image", "contentType": "image/png", "size": 10,
        "width": 4, "height": 3, "durationSeconds": None,
    }]  # fmt: skip
    last = firestore_client.document(f"conversations/{cid}").get().get("lastMessage")
    assert (last["messageId"], last["attachments"]) == (message_id, 1)

    not_ready = send(alice, {"attachments": ["bbb222"]})
    assert not_ready["statusCode"] == 422
    assert "is processing, not ready" in response_json(not_ready)["message"]
    not_hers = send(alice, {"attachments": ["ccc333"]})
    assert not_hers["statusCode"] == 422
    assert "no such media of yours" in response_json(not_hers)["message"]
    empty = send(alice, {"text": "  "})
    assert empty["statusCode"] == 422
    assert "needs text or at least one attachment" in response_json(empty)["message"]
    assert send(eve, {"text": "hello?"})["statusCode"] == 404
    assert send(alice, {"text": "hi"}, conversation="nope")["statusCode"] == 404

    read = api.handle(http_event("POST", f"/conversations/{cid}/read", claims=bob,
                                 body={"message_id": message_id}), context)  # fmt: skip
    assert read["statusCode"] == 204
    receipt = firestore_client.document(f"conversations/{cid}/receipts/{bob['sub']}").get()
    assert receipt.get("lastReadMessageId") == message_id
    assert receipt.get("readAt") is not None
    unknown = api.handle(http_event("POST", f"/conversations/{cid}/read", claims=bob,
                                    body={"message_id": "zzz"}), context)  # fmt: skip
    assert unknown["statusCode"] == 404

    alone = api.handle(http_event("POST", "/conversations", claims=alice,
                                  body={"members": [alice["sub"]]}), context)  # fmt: skip
    assert alone["statusCode"] == 400
    assert "at least one member besides you" in response_json(alone)["message"]
