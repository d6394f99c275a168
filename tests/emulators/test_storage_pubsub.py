"""Cloud Storage (fake-gcs-server) and Pub/Sub on their emulators."""

from __future__ import annotations

import pytest
from google.api_core.exceptions import NotFound


def test_storage_upload_then_download(storage_bucket):
    blob = storage_bucket.blob("covers/album-1.jpg")
    blob.upload_from_string(b"\xff\xd8jpeg bytes", content_type="image/jpeg")

    again = storage_bucket.get_blob("covers/album-1.jpg")

    assert again is not None
    assert again.download_as_bytes() == b"\xff\xd8jpeg bytes"
    assert again.content_type == "image/jpeg"
    assert again.size == len(b"\xff\xd8jpeg bytes")


def test_storage_lists_by_prefix_and_deletes(storage_client, storage_bucket):
    for name in ("covers/a.jpg", "covers/b.jpg", "raw/a.wav"):
        storage_bucket.blob(name).upload_from_string(name.encode())
    storage_bucket.blob("covers/a.jpg").delete()

    names = [b.name for b in storage_client.list_blobs(storage_bucket.name, prefix="covers/")]

    assert names == ["covers/b.jpg"]
    with pytest.raises(NotFound):
        storage_bucket.blob("covers/a.jpg").download_as_bytes()


def test_storage_bucket_fixture_gives_each_test_an_empty_bucket(storage_bucket):
    assert list(storage_bucket.list_blobs()) == []


def test_pubsub_publish_then_pull(cloud, pubsub_publisher, pubsub_subscriber):
    topic = pubsub_publisher.topic_path(cloud.project_id, "uploads")
    subscription = pubsub_subscriber.subscription_path(cloud.project_id, "thumbnailer")
    pubsub_publisher.create_topic(name=topic)
    pubsub_subscriber.create_subscription(name=subscription, topic=topic)

    message_id = pubsub_publisher.publish(topic, b"photos/1.jpg", kind="image").result(timeout=30)
    pulled = pubsub_subscriber.pull(
        subscription=subscription, max_messages=10, timeout=30
    ).received_messages

    assert [m.message.message_id for m in pulled] == [message_id]
    assert pulled[0].message.data == b"photos/1.jpg"
    assert dict(pulled[0].message.attributes) == {"kind": "image"}
    pubsub_subscriber.acknowledge(subscription=subscription, ack_ids=[pulled[0].ack_id])


def test_pubsub_publishing_to_a_missing_topic_fails(cloud, pubsub_publisher):
    topic = pubsub_publisher.topic_path(cloud.project_id, "never-created")

    with pytest.raises(NotFound):
        pubsub_publisher.publish(topic, b"lost").result(timeout=30)
