"""The local cloud a deployed stack runs in: IAM enforced, Storage events flowing to Pub/Sub,
the platform's Firebase functions (the ``beforeCreate`` blocking function) in the Functions
emulator.

``hybridstack up``, the ``deployed_stack`` pytest fixture and the deploy benchmark all start the
same cloud and deploy the same way through these functions. The functions codebase is
assembled from ``services/`` into ``<state dir>/functions``
(:mod:`~hybridstack.emulators.runtime.functions_codebase`); after each deploy :func:`deploy_into`
gives
it the deployed API's URL and a metadata server (the local issuer's) that mints Google-style
tokens of the registration service account — the ``*_GOOGLE_CALLER`` the identity function
admits. The Auth emulator learns of the blocking function from the Functions emulator
(firebase-tools PATCHes the Auth emulator's ``blockingFunctions`` config when it loads the
codebase), so a sign-up runs it.

Example:
    cloud = local_stack_cloud(state_dir=Path(".hybridstack/local"))
    endpoints = cloud.start()
    result = deploy_into(cloud, project_dir=Path("."))   # also configures the functions codebase
    print(result.outputs["apiUrl"])
    cloud.stop()
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridstack.emulators.deploy.engine import DeployError, DeployResult, deploy_local_stack
from hybridstack.emulators.runtime import firebase_tools, functions_codebase
from hybridstack.emulators.runtime.emulators import DEFAULT_SERVICES
from hybridstack.emulators.runtime.endpoints import DEFAULT_PROJECT_ID, LocalCloudEndpoints
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.local_issuer import metadata_host
from hybridstack.emulators.runtime.run_state import default_state_dir
from hybridstack.emulators.runtime.storage import StorageEvents

STORAGE_EVENTS_TOPIC = "hybridstack-storage-events"
"""The Pub/Sub topic fake-gcs-server publishes every object event to; declared Storage
notifications are bridged from it (see :mod:`~hybridstack.emulators.deploy.gcp_pubsub`)."""


GOOGLE_CALLER_SUFFIX = "_GOOGLE_CALLER"


FUNCTIONS_DIR = "functions"


def platform_functions_source(state_dir: Path | None = None) -> Path:
    """The platform's functions codebase, assembled from ``services/`` into
    ``<state dir>/functions``."""
    directory = (state_dir or default_state_dir()).resolve()
    return functions_codebase.assemble(directory / FUNCTIONS_DIR)


def local_stack_cloud(
    *,
    state_dir: Path | None = None,
    project_id: str = DEFAULT_PROJECT_ID,
    iam: bool = True,
    persist: bool = False,
    functions: bool = True,
    **options: Any,
) -> LocalCloud:
    """A LocalCloud (not started) with what a deployed stack needs: every emulator, IAM enforced
    in the AWS emulator, Storage events published to Pub/Sub, and (``functions=True``) the
    platform's functions codebase in the Functions emulator."""
    services = list(DEFAULT_SERVICES)
    if functions and options.get("functions_source") is None:
        options["functions_source"] = platform_functions_source(state_dir)
    if options.get("functions_source") is not None:
        services.append("functions")
    return LocalCloud(
        services=services,
        project_id=project_id,
        state_dir=state_dir,
        aws_iam=iam,
        persist=persist,
        storage_events=StorageEvents(project_id=project_id, topic=STORAGE_EVENTS_TOPIC),
        **options,
    )


def registration_caller(result: DeployResult) -> str | None:
    """The service account the deployed functions admit as the registration caller (the
    ``<NAME>_GOOGLE_CALLER`` variable linked to them); None when nothing declares one."""
    found: set[str] = set()
    for resource in result.resources:
        if resource.type != "aws:lambda/function:Function":
            continue
        variables = (resource.inputs.get("environment") or {}).get("variables") or {}
        found |= {
            str(value)
            for name, value in variables.items()
            if name.endswith(GOOGLE_CALLER_SUFFIX) and value
        }
    if len(found) > 1:
        raise DeployError(f"functions admit different registration callers: {sorted(found)}")
    return next(iter(found), None)


def configure_functions(cloud: LocalCloud, result: DeployResult) -> bool:
    """Point the running Functions emulator's codebase at the deployed API (and the metadata
    stand-in for the registration caller); True when its settings changed."""
    source = cloud.functions_source
    if source is None or "functions" not in cloud.services:
        return False
    return configure_functions_source(
        source, cloud.endpoints, result, cloud.log_path(firebase_tools.NAME)
    )


def configure_functions_source(
    source: Path, endpoints: LocalCloudEndpoints, result: DeployResult, log_path: Path
) -> bool:
    """:func:`configure_functions` for a codebase served by a cloud another process runs."""
    api_url = result.outputs.get("apiUrl")
    if not api_url:
        return False
    if not endpoints.hub:
        raise DeployError("the local cloud's endpoints name no emulator hub to reload functions")
    caller = registration_caller(result)
    issuer = endpoints.issuer
    host = metadata_host(issuer, caller) if issuer and caller else None
    changed = functions_codebase.configure(source, api_url=str(api_url), metadata_host=host)
    # Workers already started keep their environment and code: new settings or changed service
    # code (a redeploy after editing services/) need a reload, which also copies the code.
    code_changed = bool(functions_codebase.stale_files(source))
    if changed or code_changed:
        functions_codebase.reload(
            source, log_path, hub=endpoints.hub, services=functions_codebase.SERVICES_DIR
        )
    return changed or code_changed


def deploy_into(
    cloud: LocalCloud,
    *,
    project_dir: Path,
    stack: str = "local",
    state_path: Path | None = None,
    **options: Any,
) -> DeployResult:
    """Deploy ``stack`` of the Pulumi project in ``project_dir`` into a running LocalCloud (state
    kept in the cloud's state directory), then give its functions codebase the deployed API
    (:func:`configure_functions`)."""
    result = deploy_local_stack(
        cloud.endpoints,
        project_dir=project_dir,
        stack=stack,
        storage_event_topic=cloud.storage_events.topic if cloud.storage_events else None,
        state_path=state_path or cloud.state_dir / f"deploy-{stack}.json",
        **options,
    )
    configure_functions(cloud, result)
    return result
