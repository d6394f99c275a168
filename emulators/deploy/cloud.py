"""The local cloud a deployed stack runs in: IAM enforced, Storage events flowing to Pub/Sub.

``hybridstack up``, the ``deployed_stack`` pytest fixture and the deploy benchmark all start the
same cloud and deploy the same way through these two functions.

Example:
    cloud = local_stack_cloud(state_dir=Path(".hybridstack/local"))
    endpoints = cloud.start()
    result = deploy_into(cloud)
    print(result.outputs["apiUrl"])
    cloud.stop()
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridstack.emulators.deploy.engine import DeployResult, deploy_local_stack
from hybridstack.emulators.endpoints import DEFAULT_PROJECT_ID
from hybridstack.emulators.local_cloud import DEFAULT_SERVICES, LocalCloud
from hybridstack.emulators.storage import StorageEvents

STORAGE_EVENTS_TOPIC = "hybridstack-storage-events"
"""The Pub/Sub topic fake-gcs-server publishes every object event to; declared Storage
notifications are bridged from it (see :mod:`~hybridstack.emulators.deploy.gcp_pubsub`)."""


def local_stack_cloud(
    *,
    state_dir: Path | None = None,
    project_id: str = DEFAULT_PROJECT_ID,
    iam: bool = True,
    persist: bool = False,
    **options: Any,
) -> LocalCloud:
    """A LocalCloud (not started) with what a deployed stack needs: every emulator but
    Functions, IAM enforced in the AWS emulator, Storage events published to Pub/Sub."""
    return LocalCloud(
        services=list(DEFAULT_SERVICES),
        project_id=project_id,
        state_dir=state_dir,
        aws_iam=iam,
        persist=persist,
        storage_events=StorageEvents(project_id=project_id, topic=STORAGE_EVENTS_TOPIC),
        **options,
    )


def deploy_into(
    cloud: LocalCloud, *, stack: str = "local", state_path: Path | None = None, **options: Any
) -> DeployResult:
    """Deploy ``stack`` into a running LocalCloud (state kept in the cloud's state directory)."""
    return deploy_local_stack(
        cloud.endpoints,
        stack=stack,
        storage_event_topic=cloud.storage_events.topic if cloud.storage_events else None,
        state_path=state_path or cloud.state_dir / f"deploy-{stack}.json",
        **options,
    )
