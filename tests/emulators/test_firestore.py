"""Firestore on its emulator: writes, queries, transactions and real-time listeners."""

from __future__ import annotations

import threading

import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

LISTENER_WAIT = 30.0  # an upper bound for a change to arrive, not a speed check


def test_write_then_read_a_document(firestore_client):
    doc = firestore_client.collection("users").document("alice")
    doc.set({"name": "Alice", "plan": "free", "joined": firestore.SERVER_TIMESTAMP})
    doc.update({"plan": "pro"})

    snapshot = doc.get()

    assert snapshot.exists
    assert snapshot.get("plan") == "pro"
    assert snapshot.get("name") == "Alice"
    assert snapshot.get("joined") is not None  # the server filled it in


def test_query_filters_orders_and_limits(firestore_client):
    plays = firestore_client.collection("plays")
    for track, count, genre in [
        ("a", 5, "rock"),
        ("b", 50, "rock"),
        ("c", 20, "jazz"),
        ("d", 9, "rock"),
    ]:
        plays.document(track).set({"count": count, "genre": genre})

    top_rock = (
        plays.where(filter=FieldFilter("genre", "==", "rock"))
        .order_by("count", direction=firestore.Query.DESCENDING)
        .limit(2)
        .get()
    )

    assert [s.id for s in top_rock] == ["b", "d"]


def test_transaction_reads_then_writes_atomically(firestore_client):
    counter = firestore_client.collection("counters").document("plays")
    counter.set({"value": 10})

    @firestore.transactional
    def add(transaction: firestore.Transaction, amount: int) -> int:
        current = counter.get(transaction=transaction).get("value")
        transaction.update(counter, {"value": current + amount})
        return int(current + amount)

    results = [add(firestore_client.transaction(), n) for n in (1, 2, 3)]

    assert results == [11, 13, 16]
    assert counter.get().get("value") == 16


def test_transaction_that_raises_writes_nothing(firestore_client):
    account = firestore_client.collection("accounts").document("alice")
    account.set({"balance": 5})

    @firestore.transactional
    def withdraw(transaction: firestore.Transaction, amount: int) -> None:
        balance = account.get(transaction=transaction).get("balance")
        transaction.update(account, {"balance": balance - amount})
        if balance < amount:
            raise ValueError("insufficient funds")

    with pytest.raises(ValueError, match="insufficient funds"):
        withdraw(firestore_client.transaction(), 50)

    assert account.get().get("balance") == 5


def test_snapshot_listener_receives_a_change(firestore_client):
    room = firestore_client.collection("rooms").document("lobby").collection("messages")
    seen: list[tuple[str, str, dict]] = []
    arrived = threading.Event()

    def on_change(snapshots, changes, read_time) -> None:
        for change in changes:
            seen.append((change.type.name, change.document.id, change.document.to_dict()))
            if change.document.id == "m1":
                arrived.set()

    watch = room.on_snapshot(on_change)
    try:
        room.document("m1").set({"text": "hi there", "from": "alice"})
        assert arrived.wait(LISTENER_WAIT), f"no change delivered; saw {seen}"
    finally:
        watch.unsubscribe()

    assert ("ADDED", "m1", {"text": "hi there", "from": "alice"}) in seen


@pytest.mark.emulators("firestore")
def test_service_code_with_a_plain_client_reaches_the_emulator():
    """Service code makes ``firestore.Client()`` with no arguments; the marker alone gives the
    test an empty, running emulator and the environment that points the client at it."""
    client = firestore.Client()
    assert list(client.collections()) == []

    client.collection("presence").document("alice").set({"online": True})

    assert client.document("presence/alice").get().get("online") is True
