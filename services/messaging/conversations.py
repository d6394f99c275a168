"""Conversations, messages with media attachments, and read receipts (Firestore, server side).

Layout (what the rules in ``firestore.rules`` protect)::

    conversations/{cid}                  members[], createdBy, title, createdAt, lastMessage
    conversations/{cid}/messages/{mid}   senderId, text, attachments[], sentAt
    conversations/{cid}/receipts/{uid}   lastReadMessageId, readAt
    conversations/{cid}/typing/{uid}     (clients only)

The API (admin SDK) creates conversations between existing Firebase Auth users (members are
looked up in Firebase Auth, the source of every uid: a user record on the AWS side may not exist
yet, being created lazily) and sends messages with attachments: each attachment
is a media id from the media flow that the sender owns and that is ``ready``; its metadata is
copied into the message so clients render it without another read. A message and the
conversation's ``lastMessage`` are written in one batch, with server timestamps.

Example:
    cid = create_conversation(alice, ConversationCreate(members=["bob-uid"], title="Band"))
    mid = send_message(alice, cid, MessageCreate(text="new demo", attachments=["ab12"]))
    mark_read(bob, cid, mid)
"""

from __future__ import annotations

import uuid
from typing import Any

from firebase_admin import auth
from google.cloud import firestore
from pydantic import Field, model_validator

from hybridstack.services.common.clients import collection, firebase_app, firestore_client
from hybridstack.services.common.http import Caller, Id, RequestBody, Uid
from hybridstack.services.common.text import Line, Paragraph
from hybridstack.services.media.records import MediaStore

MAX_MEMBERS = 50


class ConversationCreate(RequestBody):
    """``POST /conversations``: the other members (the caller is always one)."""

    members: list[Uid] = Field(min_length=1, max_length=MAX_MEMBERS - 1)
    title: Line | None = Field(default=None, max_length=120)


class MessageCreate(RequestBody):
    """``POST /conversations/{id}/messages``: text and/or media attachments."""

    text: Paragraph = Field(default="", max_length=4000)
    attachments: list[Id] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _not_empty(self) -> MessageCreate:
        if not self.text.strip() and not self.attachments:
            raise ValueError("a message needs text or at least one attachment")
        return self


class ReadReceipt(RequestBody):
    """``POST /conversations/{id}/read``: the last message the caller has read."""

    message_id: Id


class ConversationNotFoundError(LookupError):
    """No such conversation for this caller (non-members are told the same)."""


class UnknownMembersError(LookupError):
    """A member is not a Firebase Auth user (or is disabled); the message names each."""


class InvalidAttachmentError(ValueError):
    """An attachment is not a ready media item of the sender."""


def _conversation(db: Any, conversation_id: str) -> Any:
    return db.collection(collection("conversations")).document(conversation_id)


def _member_conversation(db: Any, caller: Caller, conversation_id: str) -> Any:
    reference = _conversation(db, conversation_id)
    snapshot = reference.get()
    if not snapshot.exists or caller.uid not in (snapshot.get("members") or []):
        raise ConversationNotFoundError(f"no conversation {conversation_id!r} for this user")
    return reference


def check_members_exist(uids: list[str]) -> None:
    """UnknownMembersError unless every uid is an enabled Firebase Auth user (one lookup)."""
    found = auth.get_users([auth.UidIdentifier(uid) for uid in uids], app=firebase_app())
    enabled = {user.uid for user in found.users if not user.disabled}
    missing = [uid for uid in uids if uid not in enabled]
    if missing:
        raise UnknownMembersError(
            f"no such user: {', '.join(repr(uid) for uid in missing)} (members must be "
            "signed-up, enabled users)"
        )


def create_conversation(
    creator: Caller, request: ConversationCreate, *, db: Any | None = None
) -> str:
    """Create a conversation of the caller and ``members`` (who must exist); its id."""
    members = sorted({creator.uid, *request.members})
    if len(members) < 2:
        raise ValueError("a conversation needs at least one member besides you")
    check_members_exist([uid for uid in members if uid != creator.uid])
    client = db or firestore_client()
    conversation_id = uuid.uuid4().hex
    _conversation(client, conversation_id).create(
        {
            "members": members,
            "createdBy": creator.uid,
            "title": request.title,
            "createdAt": firestore.SERVER_TIMESTAMP,
            "lastMessage": None,
        }
    )
    return conversation_id


def attachment_of(sender: Caller, media_id: str, media: MediaStore) -> dict[str, Any]:
    """The message attachment for ``media_id``; InvalidAttachmentError if it can't be one."""
    record = media.get(media_id)
    if record is None or record.owner_id != sender.uid or record.deleted_at is not None:
        raise InvalidAttachmentError(f"attachment {media_id!r}: no such media of yours")
    if record.status != "ready":
        raise InvalidAttachmentError(
            f"attachment {media_id!r} is {record.status}, not ready: wait for processing"
        )
    return {
        "mediaId": record.media_id,
        "kind": record.kind,
        "contentType": record.content_type,
        "size": record.size,
        "width": record.width,
        "height": record.height,
        "durationSeconds": record.duration_seconds,
    }


def send_message(
    sender: Caller,
    conversation_id: str,
    request: MessageCreate,
    *,
    db: Any | None = None,
    media: MediaStore | None = None,
) -> str:
    """Add a message (and update ``lastMessage``) in one batch; the message id."""
    client = db or firestore_client()
    conversation = _member_conversation(client, sender, conversation_id)
    store = media or (MediaStore() if request.attachments else None)
    attachments = [attachment_of(sender, m, store) for m in request.attachments] if store else []
    message = conversation.collection("messages").document()
    batch = client.batch()
    batch.set(
        message,
        {
            "senderId": sender.uid,
            "text": request.text,
            "attachments": attachments,
            "sentAt": firestore.SERVER_TIMESTAMP,
        },
    )
    batch.update(
        conversation,
        {
            "lastMessage": {
                "messageId": message.id,
                "senderId": sender.uid,
                "text": request.text[:200],
                "attachments": len(attachments),
                "sentAt": firestore.SERVER_TIMESTAMP,
            }
        },
    )
    batch.commit()
    return str(message.id)


def mark_read(
    reader: Caller, conversation_id: str, receipt: ReadReceipt, *, db: Any | None = None
) -> None:
    """Record that ``reader`` has read up to ``receipt.message_id``."""
    client = db or firestore_client()
    conversation = _member_conversation(client, reader, conversation_id)
    if not conversation.collection("messages").document(receipt.message_id).get().exists:
        raise ConversationNotFoundError(
            f"no message {receipt.message_id!r} in conversation {conversation_id!r}"
        )
    conversation.collection("receipts").document(reader.uid).set(
        {"lastReadMessageId": receipt.message_id, "readAt": firestore.SERVER_TIMESTAMP}
    )
