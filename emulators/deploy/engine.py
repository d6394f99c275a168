"""Deploy a stack's Pulumi program into the running local cloud: ``pulumi up`` semantics offline.

The very program ``pulumi up`` runs (a project's ``__main__.py``) runs for the
stack under ``pulumi.runtime.set_mocks`` with :class:`~hybridstack.emulators.deploy.mocks.
EmulatorMocks`, which creates each declared resource in the emulators and answers with the real
ids, ARNs and URLs. Order and dependencies are Pulumi's own (a resource registers once its inputs
resolved). There is no second list of resources.

What the local cloud adds, as a cloud provider would: every function gets the Google emulators'
addresses (``FIRESTORE_EMULATOR_HOST``, ...); authorizers trusting Google and pushes carrying a
service account's token go through the local issuer
(:mod:`~hybridstack.emulators.runtime.local_issuer`);
Storage notifications are bridged from the cloud's Storage events topic
(:mod:`~hybridstack.emulators.deploy.gcp_pubsub`). Archives above 5 MB are staged in the
``hybridstack-deploy-artifacts`` bucket. Where ``hybridstack up`` and the ``deployed_stack``
fixture start the cloud: :mod:`~hybridstack.emulators.devtools.stack_cloud`.

API::

    deploy_local_stack(
        endpoints: LocalCloudEndpoints,            # the running local cloud
        *,
        project_dir: Path,                         # the project: Pulumi.yaml (name, main),
                                                   # Pulumi.<stack>.yaml, the program
        stack: str = "local",                      # reads Pulumi.<stack>.yaml (if any)
        config: Mapping[str, Any] | None = None,   # overrides of the stack file's config
        storage_event_topic: str | None = None,    # the cloud's Storage events topic, if any
        state_path: Path | None = None,            # default <state dir>/deploy-<stack>.json
        program: Callable[[], Any] | None = None,  # default: the project's program (`main`)
    ) -> DeployResult

    DeployResult.outputs        the stack outputs, resolved (apiUrl, firebaseConfig, buckets, ...)
    DeployResult.not_emulated   [NotEmulated(type, name, reason)] for types with no local meaning
    DeployResult.adapted        [NotEmulated(type, name, what)] created with a local difference
                                (a bucket policy's TLS-only denial: the local cloud is plain HTTP)
    DeployResult.actions        [Action(type, name, status, seconds)], status created | updated |
                                unchanged | not-emulated
    DeployResult.resources      every RegisteredResource (inputs and outputs), as in unit tests
    DeployResult.seconds        wall time of the deploy
    DeployResult.removed        URNs the last deploy made that this one no longer declares, deleted
    DeployResult.left           [(URN, why)] of those that were kept (a bucket with objects, ...)

The program learns the running cloud's own settings (the local issuer, the emulators'
addresses) from :func:`hybridstack.local_settings.local_settings`, which the engine fills through
the reserved config namespace ``hybridstack-local``; it writes no key of the project's own.

A redeploy into the same running cloud leaves resources whose inputs did not change alone,
updates the rest in place (UpdateFunctionCode when a function's code hash differs) and deletes
what the program no longer declares (:mod:`~hybridstack.emulators.deploy.removal`). With the
default program, a redeploy for which nothing the last one's program read or imported, nor the
config, the environment or the cloud changed returns the last result without running the program
(every resource ``unchanged``; :mod:`~hybridstack.emulators.deploy.program_inputs`). A bad resource
raises :class:`DeployError` naming it; an unknown type raises
:class:`~hybridstack.emulators.deploy.registry.UnknownResourceTypeError`.

Example:
    endpoints = LocalCloud(aws_iam=True).start()
    result = deploy_local_stack(endpoints, project_dir=Path("."))
    requests.get(result.outputs["apiUrl"] + "health")
    for item in result.not_emulated:
        print(item.type, item.name, item.reason)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime.config import set_all_config
from pulumi.runtime.sync_await import _ensure_event_loop

from hybridstack.emulators.deploy.context import DeployContext, HandlerError, NotEmulated
from hybridstack.emulators.deploy.mocks import Action, EmulatorMocks, UrnMonitor, storable
from hybridstack.emulators.deploy.program_inputs import ProgramInputs, recording
from hybridstack.emulators.deploy.project import ProjectError, PulumiProject
from hybridstack.emulators.deploy.registry import UnknownResourceTypeError
from hybridstack.emulators.deploy.removal import remove_undeclared
from hybridstack.emulators.deploy.state import DeployState
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.local_settings import LocalSettings, config_values
from hybridstack.recording import RegisteredResource

_RUN_LOCK = threading.Lock()  # set_mocks is process-global: one deploy at a time
_log = logging.getLogger(__name__)
REGISTRATION_THREADS = 16
"""How many resources are created at once. Pulumi hands every registration whose inputs resolved
to the event loop's default executor, which has min(32, cores + 4) threads (6 on 2 cores); a
creation mostly waits for an emulator's answer, so more run side by side."""
_executor: ThreadPoolExecutor | None = None


def _registration_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(REGISTRATION_THREADS, thread_name_prefix="deploy")
    return _executor


class DeployError(RuntimeError):
    """The deploy failed; the message names the resource and what the emulator answered."""


@dataclass
class DeployResult:
    """What a deploy did and what the stack exports."""

    stack: str
    outputs: dict[str, Any]
    not_emulated: list[NotEmulated]
    actions: list[Action]
    resources: list[RegisteredResource]
    seconds: float
    adapted: list[NotEmulated] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    left: list[tuple[str, str]] = field(default_factory=list)
    state_path: Path | None = None

    def count(self, status: str) -> int:
        """How many resources ended with ``status`` (created, updated, unchanged, ...)."""
        return sum(1 for action in self.actions if action.status == status)

    def summary(self) -> str:
        """``43 created, 0 updated, 0 unchanged, 31 not emulated in 4.2 s``."""
        deleted = f", {len(self.removed)} deleted" if self.removed else ""
        return (
            f"{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged{deleted}, "
            f"{self.count('not-emulated')} not emulated in {self.seconds:.1f} s"
        )


def local_settings_of(endpoints: LocalCloudEndpoints) -> LocalSettings:
    """What :func:`hybridstack.local_settings.local_settings` tells a program deployed into the
    cloud at ``endpoints``."""
    addresses = {
        name: str(getattr(endpoints, name))
        for name in ("aws", "auth", "functions", "firestore", "pubsub", "storage")
        if getattr(endpoints, name)
    }
    return LocalSettings(project=endpoints.project_id, issuer=endpoints.issuer, endpoints=addresses)


def default_state_path(stack: str) -> Path:
    from hybridstack.emulators.runtime.run_state import default_state_dir

    return default_state_dir().resolve() / f"deploy-{stack}.json"


def outputs_path(state_path: Path) -> Path:
    """Where a deploy writes its outputs and not-emulated list (``hybridstack outputs``)."""
    return state_path.with_name(state_path.stem + ".outputs.json")


def _cloud_key(endpoints: LocalCloudEndpoints) -> str:
    """The AWS emulator's address names the cloud a state file belongs to; whether the rest is
    still there is checked by :func:`_anchors_present`, and addresses the local cloud hands to
    resources (emulator hosts, the issuer) are part of their input hashes."""
    return str(endpoints.aws or "")


def _anchors_present(ctx: DeployContext, state: DeployState) -> bool:
    """Whether what the recorded deploy made is still there (no reset or restart since)."""
    try:
        functions = {r["id"] for r in state.of_type("aws:lambda/function:Function")}
        if functions and ctx.endpoints.aws:
            names: set[str] = set()
            for page in ctx.aws("lambda").get_paginator("list_functions").paginate():
                names |= {f["FunctionName"] for f in page["Functions"]}
            if not functions <= names:
                return False
        buckets = {r["id"] for r in state.of_type("aws:s3/bucket:Bucket")}
        if buckets and ctx.endpoints.aws:
            present = {b["Name"] for b in ctx.aws("s3").list_buckets().get("Buckets", [])}
            if not buckets <= present:
                return False
        apis = {r["id"] for r in state.of_type("aws:apigatewayv2/api:Api")}
        if apis and ctx.endpoints.aws:
            items = ctx.aws("apigatewayv2").get_apis().get("Items", [])
            if not apis <= {a["ApiId"] for a in items}:
                return False
        topics = {r["id"] for r in state.of_type("gcp:pubsub/topic:Topic")}
        if topics and ctx.endpoints.pubsub:
            url = f"{ctx.google('pubsub')}/v1/projects/{ctx.project_id}/topics"
            listed = ctx.http.get(url, params={"pageSize": 1000}, timeout=30).json()
            if not topics <= {t["name"] for t in listed.get("topics", [])}:
                return False
    except Exception:
        return False
    return True


def _account_id(ctx: DeployContext) -> str:
    if not ctx.endpoints.aws:
        return ctx.account_id
    try:
        return str(ctx.aws("sts").get_caller_identity()["Account"])
    except Exception:
        return ctx.account_id


class _AbandonedRegistrations(logging.Filter):
    """Drops asyncio's "exception was never retrieved" for registrations a failed deploy left
    behind: the deploy already raised the first error, naming the resource."""

    def filter(self, record: logging.LogRecord) -> bool:
        exception = record.exc_info[1] if record.exc_info else None
        if exception is None:
            context = getattr(record, "msg", "")
            return "HandlerError" not in str(context) and "DeployError" not in str(context)
        return not isinstance(exception, HandlerError | DeployError | UnknownResourceTypeError)


def _quiet_abandoned_registrations() -> None:
    logger = logging.getLogger("asyncio")
    if not any(isinstance(f, _AbandonedRegistrations) for f in logger.filters):
        logger.addFilter(_AbandonedRegistrations())


def deploy_local_stack(
    endpoints: LocalCloudEndpoints,
    *,
    project_dir: Path,
    stack: str = "local",
    config: Mapping[str, Any] | None = None,
    storage_event_topic: str | None = None,
    state_path: Path | None = None,
    program: Callable[[], Any] | None = None,
) -> DeployResult:
    """Run the stack's program under the emulator mocks; see the module docstring."""
    started = time.perf_counter()
    try:
        pulumi_project = PulumiProject.load(project_dir)
    except ProjectError as error:
        raise DeployError(str(error)) from error
    project = pulumi_project.name
    encoded = pulumi_project.stack_config(stack)
    encoded.update(pulumi_project.encode_config(config or {}))
    encoded.update(config_values(local_settings_of(endpoints)))
    project_key = next(
        (key for key in (f"{project}:firebase_project_id", "gcp:project") if encoded.get(key)), ""
    )
    configured_project = encoded.get(project_key)
    if configured_project and configured_project != endpoints.project_id:
        raise DeployError(
            f"Pulumi.{stack}.yaml deploys Firebase project {configured_project!r} but the local "
            f"cloud runs project {endpoints.project_id!r}: start it with --project "
            f"{configured_project} (or change {project_key})"
        )
    path = state_path if state_path is not None else default_state_path(stack)
    ctx = DeployContext(endpoints, stack=stack, storage_event_topic=storage_event_topic)
    state = DeployState.load(path, cloud=_cloud_key(endpoints))
    if state.records and not _anchors_present(ctx, state):
        state.forget()
    # which program ran for which stack, and how, is part of what a recorded result depended on
    depended = {
        **encoded,
        "(program)": str(pulumi_project.program),
        "(stack)": stack,
        "(storage events)": storage_event_topic or "",
    }
    if program is None:
        skipped = _last_result_if_unchanged(state, stack, depended, endpoints, path, started)
        if skipped is not None:
            return skipped
    ctx.account_id = _account_id(ctx)
    state.program = None  # until this deploy completes
    previous = dict(state.records)
    mocks = EmulatorMocks(project=endpoints.project_id, context=ctx, state=state)
    try:
        run = program or pulumi_project.main_program()
    except ProjectError as error:
        raise DeployError(str(error)) from error
    captured: dict[str, Any] = {}

    @pulumi.runtime.test
    def _deploy() -> Any:
        run()
        root = pulumi.runtime.get_root_resource()
        exported = dict(getattr(root, "outputs", {}) or {})
        return pulumi.Output.all(**exported).apply(captured.update) if exported else None

    with _RUN_LOCK:
        from pulumi.runtime import settings

        settings.ROOT.set(None)
        pulumi.runtime.set_mocks(
            mocks, project=project, stack=stack, preview=False, monitor=UrnMonitor(mocks)
        )
        set_all_config(encoded)
        _ensure_event_loop().set_default_executor(_registration_executor())
        try:
            with recording() as record:
                _deploy()
        except UnknownResourceTypeError:
            _quiet_abandoned_registrations()
            raise
        except Exception as error:
            _quiet_abandoned_registrations()
            if state.records:  # what was made before the failure, found again next time
                state.save()
            first = mocks.errors[0] if mocks.errors else error
            if isinstance(first, UnknownResourceTypeError):
                raise first from error
            raise DeployError(f"deploying stack {stack!r} failed: {first}") from error
        finally:
            set_all_config({})
            settings.ROOT.set(None)
        if mocks.errors:
            if state.records:
                state.save()
            first = mocks.errors[0]
            if isinstance(first, UnknownResourceTypeError):
                raise first
            raise DeployError(f"deploying stack {stack!r} failed: {first}") from first
    ctx.finish()
    not_emulated = sorted(ctx.not_emulated, key=lambda n: (n.type, n.name))
    adapted = sorted(ctx.adapted, key=lambda n: (n.type, n.name))
    if program is None and path is not None:
        written = {path, path.with_suffix(".tmp"), outputs_path(path)}
        inputs = record.finish(config=depended, endpoints=endpoints, exclude=written)
        snapshot = _snapshot(captured, not_emulated, adapted, mocks.actions, mocks.resources)
        state.program = {"inputs": inputs.to_json(), "result": snapshot}
    state.save(keep=mocks.declared)
    undeclared = {urn: r for urn, r in previous.items() if urn not in mocks.declared}
    removed, left = remove_undeclared(ctx, undeclared) if undeclared else ([], [])
    result = DeployResult(
        stack=stack,
        outputs=captured,
        not_emulated=not_emulated,
        adapted=adapted,
        actions=list(mocks.actions),
        resources=list(mocks.resources),
        seconds=time.perf_counter() - started,
        removed=removed,
        left=left,
        state_path=path,
    )
    if path is not None:
        write_outputs(result, outputs_path(path))
    return result


def _snapshot(
    outputs: dict[str, Any],
    not_emulated: list[NotEmulated],
    adapted: list[NotEmulated],
    actions: list[Action],
    resources: list[RegisteredResource],
) -> dict[str, Any]:
    """What :func:`_last_result_if_unchanged` hands back (archives left out of the inputs)."""
    unchanged = {"created": "unchanged", "updated": "unchanged"}
    return {
        "outputs": outputs,
        "not_emulated": [[n.type, n.name, n.reason] for n in not_emulated],
        "adapted": [[n.type, n.name, n.reason] for n in adapted],
        "actions": [[a.type, a.name, unchanged.get(a.status, a.status)] for a in actions],
        "resources": [
            {**vars(r), "inputs": storable(r.inputs), "outputs": storable(r.outputs)}
            for r in resources
        ],
    }


def _last_result_if_unchanged(
    state: DeployState,
    stack: str,
    encoded: Mapping[str, str],
    endpoints: LocalCloudEndpoints,
    path: Path | None,
    started: float,
) -> DeployResult | None:
    """The last deploy's result, every resource unchanged, when nothing its program depended on
    changed (:mod:`~hybridstack.emulators.deploy.program_inputs`) and its resources are still
    there; None when the program has to run."""
    recorded = state.program or {}
    inputs = ProgramInputs.from_json(recorded.get("inputs"))
    if not state.records or inputs is None or "result" not in recorded:
        return None
    change = inputs.first_change(config=encoded, endpoints=endpoints)
    if change is not None:
        _log.info("running the program of stack %r: %s", stack, change)
        return None
    last = recorded["result"]
    result = DeployResult(
        stack=stack,
        outputs=dict(last["outputs"]),
        not_emulated=[NotEmulated(*n) for n in last["not_emulated"]],
        adapted=[NotEmulated(*n) for n in last["adapted"]],
        actions=[Action(type_, name, status, 0.0) for type_, name, status in last["actions"]],
        resources=[RegisteredResource(**r) for r in last["resources"]],
        seconds=time.perf_counter() - started,
        state_path=path,
    )
    if path is not None:
        write_outputs(result, outputs_path(path))
    return result


def write_outputs(result: DeployResult, path: Path) -> None:
    """Save the outputs and the not-emulated list for ``hybridstack outputs``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "stack": result.stack,
        "outputs": result.outputs,
        "not_emulated": [
            {"type": n.type, "name": n.name, "reason": n.reason} for n in result.not_emulated
        ],
        "adapted": [{"type": n.type, "name": n.name, "reason": n.reason} for n in result.adapted],
        "summary": result.summary(),
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=True, default=str))


def read_outputs(stack: str = "local", state_path: Path | None = None) -> dict[str, Any]:
    """The last deploy's saved outputs document (``{"outputs": ..., "not_emulated": ...}``)."""
    path = outputs_path(state_path or default_state_path(stack))
    if not path.is_file():
        raise DeployError(
            f"stack {stack!r} has not been deployed into the local cloud ({path} is missing): "
            "run `hybridstack up` or `hybridstack deploy`"
        )
    document: dict[str, Any] = json.loads(path.read_text())
    return document
