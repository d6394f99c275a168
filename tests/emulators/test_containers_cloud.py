"""The containers backend for real: every emulator in its own container, real operations on each.

Runs wherever a Docker engine answers (scripts/setup starts Debian's docker.io as root); anywhere
else the whole module skips and says why. The first run builds the images (debootstrap base +
MiniStack + Firebase emulators, a few minutes); later runs reuse them.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import boto3
import docker
import pytest
import requests
from botocore.exceptions import ClientError
from firebase_admin import auth as firebase_auth
from firebase_admin import delete_app

from hybridstack.emulators.runtime.clients import (
    AuthEmulator,
    aws_client,
    emulator_environment,
    firebase_app,
    firestore_client,
    publisher_client,
    storage_client,
    subscriber_client,
)
from hybridstack.emulators.runtime.containers import ContainerCloud, docker_unavailable_reason
from hybridstack.emulators.runtime.containers.base_image import BASE_IMAGE
from hybridstack.emulators.runtime.containers.cloud import LABEL, OWNER_LABEL, remove_orphans
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.emulators.runtime.storage import StorageEvents

DOCKER_UNAVAILABLE = docker_unavailable_reason()
pytestmark = [
    pytest.mark.containers,
    pytest.mark.skipif(
        DOCKER_UNAVAILABLE is not None, reason=f"containers backend: {DOCKER_UNAVAILABLE}"
    ),
    # The first run in a fresh machine builds the images (measured ~6 min here).
    pytest.mark.timeout(1800),
]


@pytest.fixture(scope="module")
def container_cloud() -> Iterator[ContainerCloud]:
    cloud = ContainerCloud(project_id="demo-containers")
    cloud.start()
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture
def endpoints(container_cloud: ContainerCloud) -> LocalCloudEndpoints:
    container_cloud.reset()
    return container_cloud.endpoints


def test_every_emulator_answers_on_loopback_only(container_cloud: ContainerCloud) -> None:
    assert container_cloud.health() == dict.fromkeys(
        ("aws", "auth", "firestore", "pubsub", "storage"), True
    )
    client = docker.from_env()
    try:
        for service, container_id in container_cloud.container_ids().items():
            bindings = client.api.inspect_container(container_id)["HostConfig"]["PortBindings"]
            host_ips = {b["HostIp"] for ports in bindings.values() for b in ports}
            assert host_ips == {"127.0.0.1"}, f"{service} published on {host_ips}"
    finally:
        client.close()
    env = container_cloud.endpoints.environment()
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert env["FIRESTORE_EMULATOR_HOST"].startswith("127.0.0.1:")
    assert env["STORAGE_EMULATOR_HOST"].startswith("http://127.0.0.1:")


def test_s3_put_get(endpoints: LocalCloudEndpoints) -> None:
    s3 = aws_client(endpoints, "s3")
    s3.create_bucket(Bucket="media")
    s3.put_object(Bucket="media", Key="a/b.txt", Body=b"hello from a container")
    body = s3.get_object(Bucket="media", Key="a/b.txt")["Body"].read()
    assert body == b"hello from a container"


def test_firestore_write_read(endpoints: LocalCloudEndpoints) -> None:
    db = firestore_client(endpoints)
    db.collection("users").document("alice").set({"plan": "pro", "seats": 3})
    snapshot = db.collection("users").document("alice").get()
    assert snapshot.to_dict() == {"plan": "pro", "seats": 3}


def test_auth_sign_up_and_verify_token(endpoints: LocalCloudEndpoints) -> None:
    user = AuthEmulator(endpoints).sign_up("alice@example.com", "correct-horse")
    app = firebase_app(endpoints)
    try:
        with emulator_environment(endpoints):
            claims = firebase_auth.verify_id_token(user.id_token, app=app)
            assert firebase_auth.get_user(user.uid, app=app).email == "alice@example.com"
    finally:
        delete_app(app)
    assert claims["uid"] == user.uid
    assert claims["email"] == "alice@example.com"


def test_storage_upload_download(endpoints: LocalCloudEndpoints) -> None:
    client = storage_client(endpoints)
    bucket = client.create_bucket("uploads")
    bucket.blob("cover.jpg").upload_from_string(b"\xff\xd8jpeg", content_type="image/jpeg")
    blob = client.bucket("uploads").get_blob("cover.jpg")
    assert blob is not None
    assert blob.content_type == "image/jpeg"
    assert blob.download_as_bytes() == b"\xff\xd8jpeg"


def test_pubsub_publish_pull(endpoints: LocalCloudEndpoints) -> None:
    publisher, subscriber = publisher_client(endpoints), subscriber_client(endpoints)
    topic = publisher.topic_path(endpoints.project_id, "events")
    subscription = subscriber.subscription_path(endpoints.project_id, "events-worker")
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic)
    publisher.publish(topic, b"track-uploaded", kind="upload").result(timeout=30)
    received: list[Any] = []
    deadline = time.monotonic() + 30
    while not received and time.monotonic() < deadline:
        response = subscriber.pull(subscription=subscription, max_messages=10, timeout=10)
        received = list(response.received_messages)
    assert [m.message.data for m in received] == [b"track-uploaded"]
    assert received[0].message.attributes["kind"] == "upload"


def test_reset_empties_every_emulator(container_cloud: ContainerCloud) -> None:
    endpoints = container_cloud.endpoints
    s3 = aws_client(endpoints, "s3")
    s3.create_bucket(Bucket="to-be-wiped")
    db = firestore_client(endpoints)
    db.collection("rooms").document("r1").set({"open": True})
    AuthEmulator(endpoints).sign_up(f"{uuid4().hex[:8]}@example.com", "correct-horse")
    gcs = storage_client(endpoints)
    gcs.create_bucket("wiped-bucket").blob("x").upload_from_string(b"x")
    publisher = publisher_client(endpoints)
    publisher.create_topic(name=publisher.topic_path(endpoints.project_id, "wiped-topic"))

    seconds = container_cloud.reset()

    assert set(seconds) == {"aws", "auth", "firestore", "pubsub", "storage"}
    assert s3.list_buckets()["Buckets"] == []
    assert list(db.collection("rooms").stream()) == []
    assert AuthEmulator(endpoints).export_users() == []
    assert list(gcs.list_buckets()) == []
    topics = publisher.list_topics(request={"project": f"projects/{endpoints.project_id}"})
    assert list(topics) == []


def _pull_one(endpoints: LocalCloudEndpoints, subscription: str) -> Any:
    subscriber = subscriber_client(endpoints)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = subscriber.pull(subscription=subscription, max_messages=1, timeout=10)
        if response.received_messages:
            return response.received_messages[0].message
    raise AssertionError(f"no message on {subscription} within 30 s")


def test_storage_events_reach_pubsub_across_containers_and_survive_reset() -> None:
    events = StorageEvents(project_id="demo-events", topic="uploads", events=("finalize",))
    cloud = ContainerCloud(
        services=["storage", "pubsub"], project_id="demo-events", storage_events=events
    )
    with cloud:
        endpoints = cloud.endpoints
        for round_ in ("before-reset", "after-reset"):
            subscriber = subscriber_client(endpoints)
            subscription = subscriber.subscription_path("demo-events", f"sync-{round_}")
            topic = f"projects/demo-events/topics/{events.topic}"
            subscriber.create_subscription(name=subscription, topic=topic)
            bucket = storage_client(endpoints).create_bucket(f"media-{round_}")
            bucket.blob("song.mp3").upload_from_string(b"ID3")
            message = _pull_one(endpoints, subscription)
            assert message.attributes["eventType"] == "OBJECT_FINALIZE"
            assert message.attributes["objectId"] == "song.mp3"
            assert message.attributes["bucketId"] == f"media-{round_}"
            cloud.reset()  # wipes topics too; the events topic must come back


def test_stop_removes_every_container() -> None:
    cloud = ContainerCloud(services=["storage", "firestore"])
    with cloud:
        ids = cloud.container_ids()
        assert set(ids) == {"storage", "firestore"}
        storage = cloud.endpoints.storage
        assert requests.get(f"{storage}/storage/v1/b", timeout=10).ok
    client = docker.from_env()
    try:
        for container_id in ids.values():
            with pytest.raises(docker.errors.NotFound):
                client.containers.get(container_id)
    finally:
        client.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{storage}/storage/v1/b", timeout=10)
    with pytest.raises(RuntimeError, match="not started"):
        _ = cloud.endpoints


def test_next_start_removes_containers_of_a_killed_run(container_cloud: ContainerCloud) -> None:
    child = subprocess.Popen(["true"])
    child.wait()  # reaped: its pid belongs to no process now
    client = docker.from_env()
    try:
        labels = {LABEL: "aws", OWNER_LABEL: str(child.pid)}
        orphan = client.containers.run(BASE_IMAGE, ["sleep", "300"], detach=True, labels=labels)
        removed = remove_orphans(client)
        assert orphan.name in removed
        with pytest.raises(docker.errors.NotFound):
            client.containers.get(orphan.id)
        # The running cloud's containers belong to a live process and stay.
        for container_id in container_cloud.container_ids().values():
            assert client.containers.get(container_id).status == "running"
    finally:
        client.close()


@pytest.mark.parametrize("aws_iam", [True, False])
def test_aws_iam_option_enforces_policies_in_the_container(aws_iam: bool) -> None:
    with ContainerCloud(services=["aws"], aws_iam=aws_iam) as cloud:
        endpoints = cloud.endpoints
        iam = aws_client(endpoints, "iam")
        iam.create_user(UserName="no-policy")
        key = iam.create_access_key(UserName="no-policy")["AccessKey"]
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoints.aws,
            region_name=endpoints.region,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        if aws_iam:
            with pytest.raises(ClientError, match="AccessDenied"):
                s3.list_buckets()
        else:
            assert s3.list_buckets()["Buckets"] == []
