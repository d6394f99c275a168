"""storage_events: Storage object changes arrive on a Pub/Sub topic, also after a reset."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
import requests

from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.storage import StorageEvents


def pull(pubsub: str, subscription: str, timeout: float = 20.0) -> list[dict[str, object]]:
    """Pull until at least one message arrives (or ``timeout``), acknowledging what came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = requests.post(
            f"http://{pubsub}/v1/{subscription}:pull", json={"maxMessages": 10}, timeout=10
        )
        received = response.json().get("receivedMessages", [])
        if received:
            requests.post(
                f"http://{pubsub}/v1/{subscription}:acknowledge",
                json={"ackIds": [item["ackId"] for item in received]},
                timeout=10,
            )
            return [item["message"] for item in received]
        time.sleep(0.1)
    return []


def subscribe(pubsub: str, project: str, topic: str, name: str) -> str:
    subscription = f"projects/{project}/subscriptions/{name}"
    requests.put(
        f"http://{pubsub}/v1/{subscription}",
        json={"topic": f"projects/{project}/topics/{topic}"},
        timeout=10,
    ).raise_for_status()
    return subscription


def upload(storage: str, bucket: str, name: str) -> None:
    requests.post(
        f"{storage}/upload/storage/v1/b/{bucket}/o",
        params={"uploadType": "media", "name": name},
        data=b"payload",
        timeout=10,
    ).raise_for_status()


def test_uploads_publish_finalize_events_before_and_after_a_reset(tmp_path: Path) -> None:
    project = "demo-events"
    events = StorageEvents(project_id=project, topic="gcs-events", events=("finalize",))
    with LocalCloud(
        services=["pubsub", "storage"],
        project_id=project,
        storage_events=events,
        state_dir=tmp_path,
    ) as cloud:
        pubsub, storage = str(cloud.endpoints.pubsub), str(cloud.endpoints.storage)
        subscription = subscribe(pubsub, project, "gcs-events", "first")
        requests.post(f"{storage}/storage/v1/b", json={"name": "media"}, timeout=10)
        upload(storage, "media", "photo.jpg")
        [message] = pull(pubsub, subscription)
        attributes = message["attributes"]
        assert isinstance(attributes, dict)
        assert attributes["eventType"] == "OBJECT_FINALIZE"
        assert attributes["objectId"] == "photo.jpg"
        assert b"photo.jpg" in base64.b64decode(str(message["data"]))

        cloud.reset()  # deletes every topic; the events topic is re-created
        subscription = subscribe(pubsub, project, "gcs-events", "second")
        requests.post(f"{storage}/storage/v1/b", json={"name": "media"}, timeout=10)
        upload(storage, "media", "after-reset.jpg")
        [message] = pull(pubsub, subscription)
        assert isinstance(message["attributes"], dict)
        assert message["attributes"]["objectId"] == "after-reset.jpg"


def test_storage_events_need_pubsub_and_known_event_types(tmp_path: Path) -> None:
    events = StorageEvents(project_id="demo-x", topic="t-events")
    with pytest.raises(ValueError, match="needs both 'storage' and 'pubsub'"):
        LocalCloud(services=["storage"], storage_events=events, state_dir=tmp_path)
    with pytest.raises(ValueError, match=r"StorageEvents\.events has"):
        StorageEvents(project_id="demo-x", topic="t-events", events=("created",))
