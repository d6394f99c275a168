"""Pub/Sub topics and subscriptions (pull and PUSH) in the Pub/Sub emulator.

A push subscription's endpoint is what the program computed from the API's URL, which on the
local stack is the AWS emulator's address of the HTTP API: pushes reach the deployed route. A
push that carries a service account's OIDC token in the cloud is sent through the local issuer's
push relay, which adds that token (signed by the issuer's Google stand-in) on the way.

Storage notifications: fake-gcs-server publishes every object event to the one topic the local
cloud was started with (``storage_event_topic``). When the program sends a bucket's events to a
topic T (``gcp.storage.Notification``), each subscription declared on T gets a twin on the
events topic, filtered to that bucket and those event types, with the same delivery settings.

Example:
    gcp.pubsub.Subscription("to-aws", topic=topic.id, push_config={"push_endpoint": url})
        -> PUT /v1/projects/<p>/subscriptions/to-aws-1a2b3c4
"""

from __future__ import annotations

from typing import Any

from hybridstack.emulators.deploy.context import DeployContext, HandlerError, fail
from hybridstack.emulators.deploy.registry import (
    Created,
    Record,
    Resource,
    after,
    deleted_by,
    handles,
)
from hybridstack.emulators.deploy.shapes import integral

TOPIC = "gcp:pubsub/topic:Topic"
SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
_ALLOWED = r"[^A-Za-z0-9_.~+%\-]"


def _short(topic: str) -> str:
    return topic.rsplit("/", 1)[-1]


def _put(ctx: DeployContext, resource: Resource, path: str, body: dict[str, Any]) -> None:
    """PUT a topic/subscription; 409 (exists) is fine for topics, replaced for subscriptions."""
    url = f"{ctx.google('pubsub')}/v1/{path}"
    response = ctx.http.put(url, json=body, timeout=30)
    if response.status_code == 409 and "/subscriptions/" in path:
        ctx.http.delete(url, timeout=30)
        response = ctx.http.put(url, json=body, timeout=30)
    if response.status_code not in (200, 409):
        raise fail(resource, f"PUT {path}", HandlerError(f"{response.status_code} {response.text}"))


def _delete(ctx: DeployContext, path: str) -> None:
    response = ctx.http.delete(f"{ctx.google('pubsub')}/v1/{path}", timeout=30)
    if response.status_code not in (200, 404):
        raise RuntimeError(f"DELETE {path}: {response.status_code} {response.text}")


def _delete_topic(ctx: DeployContext, record: Record) -> None:
    _delete(ctx, record["id"])


@handles(TOPIC, delete=deleted_by(_delete_topic, order=3))
def topic(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    project = str(inputs.get("project") or ctx.project_id)
    name = ctx.name(resource, max_length=255)
    body: dict[str, Any] = {}
    if inputs.get("labels"):
        body["labels"] = dict(inputs["labels"])
    if inputs.get("messageRetentionDuration"):
        body["messageRetentionDuration"] = str(inputs["messageRetentionDuration"])
    path = f"projects/{project}/topics/{name}"
    _put(ctx, resource, path, body)
    return Created(id=path, outputs={"name": name, "project": project})


def subscription_body(
    inputs: dict[str, Any], topic_path: str, issuer: str | None = None
) -> dict[str, Any]:
    """The emulator's JSON for a declared subscription (camelCase wire names are the API's).

    A push with an ``oidcToken`` goes through the local issuer's push relay (when the cloud runs
    one), which adds the service account's signed token the emulator cannot add itself.
    """
    body: dict[str, Any] = {"topic": topic_path}
    for key in (
        "ackDeadlineSeconds",
        "messageRetentionDuration",
        "retainAckedMessages",
        "enableMessageOrdering",
        "filter",
        "deadLetterPolicy",
        "retryPolicy",
        "enableExactlyOnceDelivery",
        "labels",
    ):
        if inputs.get(key) not in (None, "", {}):
            body[key] = integral(inputs[key])
    push = inputs.get("pushConfig")
    if push and push.get("pushEndpoint"):
        config = {key: value for key, value in push.items() if value not in (None, "", {})}
        oidc = config.get("oidcToken") or {}
        if issuer and oidc.get("serviceAccountEmail"):
            from hybridstack.emulators.runtime.local_issuer import push_relay_url

            endpoint = str(config["pushEndpoint"])
            config["pushEndpoint"] = push_relay_url(
                issuer,
                endpoint,
                str(oidc.get("audience") or endpoint),
                str(oidc["serviceAccountEmail"]),
            )
        body["pushConfig"] = config
    return body


def _full_topic(ctx: DeployContext, topic: str, project: str) -> str:
    return topic if topic.startswith("projects/") else f"projects/{project}/topics/{topic}"


def _delete_subscription(ctx: DeployContext, record: Record) -> None:
    """The subscription and its Storage events twins (:func:`twin`)."""
    _delete(ctx, record["id"])
    project = record["id"].split("/")[1]
    url = f"{ctx.google('pubsub')}/v1/projects/{project}/subscriptions"
    listed = ctx.http.get(url, params={"pageSize": 1000}, timeout=30).json()
    twins = f"{record['id']}-storage-"
    for found in listed.get("subscriptions", []):
        if found["name"].startswith(twins):
            _delete(ctx, found["name"])


def delete_twins(ctx: DeployContext, topic: str, bucket: str) -> None:
    """Delete the Storage events twins of ``topic``'s subscriptions for ``bucket`` (its
    notification is no longer declared)."""
    with ctx.lock:
        subs = list(ctx.subscriptions.get(topic, []))
    for sub in subs:
        _delete(ctx, f"projects/{sub['project']}/subscriptions/{twin_name(sub, bucket)}")


def twin_name(sub: dict[str, Any], bucket: str) -> str:
    """The name of ``sub``'s copy on the Storage events topic, filtered to ``bucket``."""
    return f"{sub['name']}-storage-{bucket}"[:255]


@handles(SUBSCRIPTION, delete=deleted_by(_delete_subscription, order=0))
def subscription(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    project = str(inputs.get("project") or ctx.project_id)
    name = ctx.name(resource, max_length=255)
    topic_path = _full_topic(ctx, str(inputs["topic"]), project)
    path = f"projects/{project}/subscriptions/{name}"
    _put(ctx, resource, path, subscription_body(inputs, topic_path, ctx.endpoints.issuer))
    return Created(id=path, outputs={"name": name, "project": project})


# -- the Storage events bridge ----------------------------------------------------------------


def twin(ctx: DeployContext, resource: Resource, sub: dict[str, Any], bucket: dict) -> None:
    """A copy of ``sub`` on the cloud's Storage events topic, filtered to ``bucket`` (once per
    deploy)."""
    assert ctx.storage_event_topic is not None
    project = sub["project"]
    name = twin_name(sub, bucket["bucket"])
    with ctx.lock:
        if name in ctx.twins:
            return
        ctx.twins.add(name)
    events = " OR ".join(f'attributes.eventType = "{e}"' for e in bucket["event_types"])
    conditions = [f'attributes.bucketId = "{bucket["bucket"]}"']
    if events:
        conditions.append(f"({events})")
    if bucket.get("prefix"):
        conditions.append(f'hasPrefix(attributes.objectId, "{bucket["prefix"]}")')
    inputs = dict(sub["inputs"])
    inputs["filter"] = " AND ".join(conditions)
    events_topic = f"projects/{project}/topics/{ctx.storage_event_topic}"
    body = subscription_body(inputs, events_topic, ctx.endpoints.issuer)
    _put(ctx, resource, f"projects/{project}/subscriptions/{name}", body)


@after(SUBSCRIPTION)
def _remember_subscription(ctx: DeployContext, resource: Resource, outputs: dict) -> None:
    project = str(outputs.get("project") or ctx.project_id)
    topic_path = _full_topic(ctx, str(resource.inputs["topic"]), project)
    sub = {"name": outputs["name"], "project": project, "inputs": resource.inputs}
    with ctx.lock:
        ctx.subscriptions.setdefault(topic_path, []).append(sub)
        buckets = list(ctx.notifications.get(topic_path, []))
    if ctx.storage_event_topic:
        for bucket in buckets:
            twin(ctx, resource, sub, bucket)
