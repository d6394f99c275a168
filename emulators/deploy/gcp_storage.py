"""Cloud Storage (Firebase Storage) buckets in fake-gcs-server, and bucket notifications.

A persisting local cloud (``--persist``) runs fake-gcs-server's filesystem backend, which writes
every object through to disk but has no object versioning (CreateBucket with versioning -> 500
"fs storage type does not support versioning yet"); a bucket asking for versioning is then
created without it and reported as adapted, by name.

fake-gcs-server cannot configure notifications through its API: it publishes every object
event to the topic the local cloud was started with. A declared notification (bucket -> topic)
is honoured by the Pub/Sub bridge (:mod:`~hybridstack.emulators.deploy.gcp_pubsub`); without
Storage events in the local cloud it is reported as not emulated.

Example:
    gcp.storage.Bucket("media-uploads", location="US")  -> POST /storage/v1/b media-uploads-1a2b3c4
"""

from __future__ import annotations

from typing import Any

import requests

from hybridstack.emulators.deploy.context import DeployContext, HandlerError, fail
from hybridstack.emulators.deploy.gcp_pubsub import delete_twins, twin
from hybridstack.emulators.deploy.registry import (
    Created,
    KeptError,
    Record,
    Resource,
    after,
    deleted_by,
    handles,
    recorded_output,
)
from hybridstack.emulators.deploy.shapes import integral

BUCKET = "gcp:storage/bucket:Bucket"
NOTIFICATION = "gcp:storage/notification:Notification"
FILESYSTEM_NO_VERSIONING = "does not support versioning"
VERSIONING_ADAPTED = (
    "versioning off: the persisting local cloud's Storage (fake-gcs-server's filesystem "
    "backend) keeps objects on disk but has no object versions"
)


def _delete_bucket(ctx: DeployContext, record: Record) -> None:
    """Deleted only when empty: local data is never thrown away by a redeploy."""
    base = f"{ctx.google('storage')}/storage/v1/b/{record['id']}"
    listed = ctx.http.get(f"{base}/o", params={"maxResults": 1}, timeout=30)
    if listed.status_code == 404:
        return
    if listed.json().get("items"):
        raise KeptError("the bucket holds objects; empty it to have it deleted")
    response = ctx.http.delete(base, timeout=30)
    if response.status_code not in (200, 204, 404):
        raise RuntimeError(f"DELETE bucket {record['id']}: {response.status_code} {response.text}")


@handles(BUCKET, delete=deleted_by(_delete_bucket, order=5))
def bucket(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    name = ctx.name(resource, max_length=63, lower=True)
    project = str(inputs.get("project") or ctx.project_id)
    body: dict[str, Any] = {"name": name}
    if inputs.get("location"):
        body["location"] = str(inputs["location"])
    if inputs.get("versioning"):
        body["versioning"] = {"enabled": bool(inputs["versioning"].get("enabled"))}
    if inputs.get("cors"):
        body["cors"] = [
            {
                "origin": list(rule.get("origins") or []),
                "method": list(rule.get("methods") or []),
                "responseHeader": list(rule.get("responseHeaders") or []),
                "maxAgeSeconds": integral(rule.get("maxAgeSeconds", 3600)),
            }
            for rule in inputs["cors"]
        ]
    if inputs.get("labels"):
        body["labels"] = dict(inputs["labels"])
    base = ctx.google("storage")

    def create_or_update() -> requests.Response:
        response = ctx.http.post(f"{base}/storage/v1/b", params={"project": project}, json=body,
                                 timeout=30)  # fmt: skip
        if response.status_code == 409:
            response = ctx.http.patch(f"{base}/storage/v1/b/{name}", json=body, timeout=30)
        return response

    response = create_or_update()
    adapted = None
    if response.status_code == 500 and FILESYSTEM_NO_VERSIONING in response.text:
        body.pop("versioning")
        adapted = VERSIONING_ADAPTED
        response = create_or_update()
    if response.status_code >= 400:
        raise fail(resource, f"creating bucket {name}",
                   HandlerError(f"{response.status_code} {response.text}"))  # fmt: skip
    return Created(
        id=name,
        outputs={
            "name": name,
            "url": f"gs://{name}",
            "selfLink": f"{base}/storage/v1/b/{name}",
            "project": project,
        },
        adapted=adapted,
    )


def _delete_notification(ctx: DeployContext, record: Record) -> None:
    """fake-gcs-server has no notification to delete; the bridge's twin subscriptions go."""
    if ctx.storage_event_topic:
        topic = recorded_output(record, "topic")
        if not topic.startswith("projects/"):
            topic = f"projects/{ctx.project_id}/topics/{topic}"
        delete_twins(ctx, topic, recorded_output(record, "bucket"))


@handles(NOTIFICATION, delete=deleted_by(_delete_notification, order=0))
def notification(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    bucket_name = str(inputs["bucket"])
    topic = str(inputs["topic"])
    notification_id = f"{bucket_name}-{topic.rsplit('/', 1)[-1]}"
    outputs = {
        "notificationId": notification_id,
        "selfLink": f"storage/v1/b/{bucket_name}/notificationConfigs/{notification_id}",
    }
    if not ctx.storage_event_topic:
        return Created(
            id=notification_id,
            outputs=outputs,
            not_emulated="the local cloud was started without Storage events "
            "(LocalCloud(storage_events=...)); object events reach no topic",
        )
    return Created(id=notification_id, outputs=outputs)


@after(NOTIFICATION)
def _remember_notification(ctx: DeployContext, resource: Resource, outputs: dict) -> None:
    if not ctx.storage_event_topic:
        return
    inputs = resource.inputs
    topic = str(inputs["topic"])
    if not topic.startswith("projects/"):
        topic = f"projects/{ctx.project_id}/topics/{topic}"
    entry = {
        "bucket": str(inputs["bucket"]),
        "event_types": list(inputs.get("eventTypes") or []),
        "prefix": inputs.get("objectNamePrefix"),
    }
    with ctx.lock:
        ctx.notifications.setdefault(topic, []).append(entry)
        subs = list(ctx.subscriptions.get(topic, []))
    for sub in subs:
        twin(ctx, resource, sub, entry)
