"""The realtime publisher against the Firestore emulator: typed documents, batches over the
500-write limit, server timestamps, and nothing lost when Firestore cannot be reached."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from google.api_core.retry import Retry
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from pydantic import BaseModel

from hybridstack.services.realtime.publisher import TRANSIENT, RealtimePublisher


class Presence(BaseModel):
    online: bool
    device: str


def test_batches_over_the_firestore_limit_with_server_timestamps(
    platform: dict[str, str], firestore_client: Any
) -> None:
    publisher = RealtimePublisher()
    for index in range(620):
        publisher.set(f"presence/u{index:04d}", Presence(online=True, device="ios"))
    assert publisher.pending == 620
    assert publisher.flush() == 620
    assert publisher.pending == 0
    documents = list(firestore_client.collection("presence").stream())
    assert len(documents) == 620
    first = documents[0].to_dict()
    assert (first["online"], first["device"]) == (True, "ios")
    assert first["updatedAt"].year >= 2026  # set by the server

    publisher.publish("presence/u0000", Presence(online=False, device="ios"))
    assert firestore_client.document("presence/u0000").get().to_dict()["online"] is False


def test_a_path_that_is_not_a_document_is_refused(platform: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="'presence' is not a document path"):
        RealtimePublisher().set("presence", Presence(online=True, device="web"))


def test_writes_are_retried_and_kept_when_firestore_is_unreachable(
    platform: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", dead)
    client = firestore.Client(project="demo-hybridstack", credentials=AnonymousCredentials())
    attempts: list[float] = []
    retry = Retry(predicate=TRANSIENT, initial=0.05, maximum=0.1, timeout=1.0,
                  on_error=lambda error: attempts.append(1.0))  # fmt: skip
    publisher = RealtimePublisher(client, retry=retry)
    publisher.set("presence/u1", Presence(online=True, device="web"))
    with pytest.raises(Exception, match=r"Timeout of 1\.0s exceeded, last exception: 503"):
        publisher.flush()
    assert len(attempts) >= 2  # retried, not given up at the first error
    assert publisher.pending == 1  # nothing lost: the next flush sends it
