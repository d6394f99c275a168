"""Reset really empties every emulator, and the per-test reset gives each test an empty cloud.

(How fast a reset is gets measured in benchmarks/, not asserted here.)
"""

from __future__ import annotations

import pytest
from firebase_admin import auth as admin_auth


def _fill_everything(cloud, s3, sqs, dynamodb, firestore_client, auth, storage_client, pub):
    s3.create_bucket(Bucket="leftover")
    s3.put_object(Bucket="leftover", Key="a.txt", Body=b"a")
    sqs.create_queue(QueueName="leftover")
    dynamodb.create_table(
        TableName="leftover",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    firestore_client.document("leftover/doc").set({"x": 1})
    firestore_client.document("leftover/doc/nested/deep").set({"y": 2})
    auth.sign_up("leftover@example.com", "leftover-secret")
    storage_client.create_bucket("leftover").blob("a.txt").upload_from_string(b"a")
    pub.create_topic(name=pub.topic_path(cloud.project_id, "leftover"))


def _assert_empty(cloud, s3, sqs, dynamodb, firestore_client, firebase_app, storage_client, pub):
    assert s3.list_buckets()["Buckets"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert dynamodb.list_tables()["TableNames"] == []
    assert list(firestore_client.collections()) == []
    assert firestore_client.document("leftover/doc/nested/deep").get().exists is False
    assert list(admin_auth.list_users(app=firebase_app).iterate_all()) == []
    assert list(storage_client.list_buckets()) == []
    assert list(pub.list_topics(project=f"projects/{cloud.project_id}")) == []


def test_reset_empties_every_emulator(
    local_cloud,
    cloud,
    s3,
    sqs,
    dynamodb,
    firestore_client,
    auth,
    firebase_app,
    storage_client,
    pubsub_publisher,
):
    _fill_everything(
        cloud, s3, sqs, dynamodb, firestore_client, auth, storage_client, pubsub_publisher
    )
    assert s3.list_buckets()["Buckets"] != []  # the filling really happened

    seconds = local_cloud.reset()

    assert {"aws", "auth", "firestore", "pubsub", "storage"} <= set(seconds)
    _assert_empty(
        cloud, s3, sqs, dynamodb, firestore_client, firebase_app, storage_client, pubsub_publisher
    )
    # And the emulators still work after a reset.
    s3.create_bucket(Bucket="after-reset")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["after-reset"]


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_starts_from_an_empty_cloud(attempt, firestore_client, s3):
    """Both runs write the same things; the second would see the first's if nothing reset."""
    assert list(firestore_client.collections()) == []
    assert s3.list_buckets()["Buckets"] == []
    firestore_client.document("runs/only").set({"attempt": attempt})
    s3.create_bucket(Bucket="per-test")
