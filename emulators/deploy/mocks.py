"""The mocks class of the local deploy: each declared resource is created in the emulators.

Pulumi's mocks API hands every ``RegisterResource`` to :meth:`EmulatorMocks.new_resource` with the
inputs as the provider would receive them (dependencies resolved: a function's ``role`` is the
role ARN the IAM handler returned). The class dispatches on the type token to the provider
modules' handlers (:mod:`~hybridstack.emulators.deploy.registry`), returns the real ids, ARNs and
URLs as outputs, and records what it did. A resource whose inputs hash the same as in the last
deploy into this cloud is left alone and answered from the record.

Example:
    mocks = EmulatorMocks(DeployContext(endpoints), DeployState.load(path, cloud=endpoints.aws))
    pulumi.runtime.set_mocks(mocks, project="hybridstack", stack="local", preview=False)
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs
from pulumi.runtime.mocks import MockMonitor

from hybridstack.emulators.deploy.archives import archive_fingerprint
from hybridstack.emulators.deploy.context import DeployContext
from hybridstack.emulators.deploy.registry import (
    AFTER,
    Resource,
    UnknownResourceTypeError,
    load_handlers,
)
from hybridstack.emulators.deploy.shapes import unwrap_secrets
from hybridstack.emulators.deploy.state import DeployState
from hybridstack.recording import RecordingMocks, RegisteredResource


def _canonical(value: Any) -> Any:
    if isinstance(value, pulumi.Archive | pulumi.Asset):
        return {"archive": archive_fingerprint(value)}
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def inputs_hash(inputs: dict[str, Any]) -> str:
    """A stable hash of a resource's inputs (archives by content or file identity)."""
    text = json.dumps(_canonical(inputs), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def storable(value: Any) -> Any:
    """Outputs minus archives (the program never reads them back; JSON cannot hold them)."""
    if isinstance(value, pulumi.Archive | pulumi.Asset):
        return None
    if isinstance(value, dict):
        return {k: storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


_registering = threading.local()
LOCAL_KEY = "__local_cloud__"
ISSUER_DEPENDENT = frozenset(
    {"aws:apigatewayv2/authorizer:Authorizer", "gcp:pubsub/subscription:Subscription"}
)


class UrnMonitor(MockMonitor):
    """Pulumi's mock monitor, telling the mocks the URN of the resource being registered (the
    mocks API gives only type and name, which two parents may share)."""

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        _registering.urn = self.make_urn(request.parent, request.type, request.name)
        try:
            return super().RegisterResource(request)
        finally:
            _registering.urn = None


def current_urn() -> str:
    return str(getattr(_registering, "urn", None) or "")


@dataclass
class Action:
    """One resource of the deploy and what happened to it."""

    type: str
    name: str
    status: str  # created | updated | unchanged | not-emulated
    seconds: float


@dataclass
class EmulatorMocks(RecordingMocks):
    """Creates each registered resource in the local cloud and answers with its real outputs."""

    context: DeployContext | None = None
    state: DeployState | None = None
    actions: list[Action] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    declared: set[str] = field(default_factory=set)
    _record_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.context is None or self.state is None:
            raise ValueError("EmulatorMocks needs a DeployContext and a DeployState")
        self.project = self.context.project_id
        self._handlers = load_handlers()

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        inputs = unwrap_secrets(dict(args.inputs))
        if not args.custom:
            self._record(args, inputs, dict(inputs), f"{args.name}-id")
            return f"{args.name}-id", dict(inputs)
        try:
            resource_id, outputs = self._deploy(args.typ, args.name, inputs)
        except BaseException as error:
            with self._record_lock:
                self.errors.append(error)
            raise
        self._record(args, inputs, outputs, resource_id)
        return resource_id, outputs

    def _record(
        self, args: MockResourceArgs, inputs: dict[str, Any], outputs: dict[str, Any], rid: str
    ) -> None:
        record = RegisteredResource.from_mock(args, inputs, outputs, rid)
        with self._record_lock:
            self.resources.append(record)

    def _deploy(self, type_token: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict]:
        assert self.context is not None
        assert self.state is not None
        handler = self._handlers.get(type_token)
        if handler is None:
            raise UnknownResourceTypeError(type_token, name)
        urn = current_urn() or f"{self.context.stack}::{type_token}::{name}"
        with self._record_lock:
            if urn in self.declared:
                raise RuntimeError(f"{urn} is declared twice")
            self.declared.add(urn)
        started = time.perf_counter()
        digest = inputs_hash({**inputs, LOCAL_KEY: self._local_inputs(type_token)})
        previous = self.state.get(urn)
        resource = Resource(type_token, name, inputs, previous, urn)
        if previous is not None and previous.get("hash") == digest:
            outputs = dict(previous["outputs"])
            status = "not-emulated" if previous.get("status") == "not-emulated" else "unchanged"
            if status == "not-emulated":
                self.context.report_not_emulated(resource, previous.get("reason", ""))
            if previous.get("adapted"):
                self.context.report_adapted(resource, previous["adapted"])
        else:
            created = handler(self.context, resource)
            outputs = {**inputs, **created.outputs, "id": created.id}
            if created.not_emulated is not None:
                status = "not-emulated"
                self.context.report_not_emulated(resource, created.not_emulated)
            else:
                status = "updated" if previous else "created"
            record: dict[str, Any] = {
                "hash": digest,
                "id": created.id,
                "outputs": storable(outputs),
                "status": status,
            }
            if created.not_emulated is not None:
                record["reason"] = created.not_emulated
            if created.adapted is not None:
                record["adapted"] = created.adapted
                self.context.report_adapted(resource, created.adapted)
            self.state.put(urn, record)
        after = AFTER.get(type_token)
        if after is not None:
            after(self.context, resource, outputs)
        with self._record_lock:
            self.actions.append(Action(type_token, name, status, time.perf_counter() - started))
        return str(outputs.get("id", "")), outputs

    def _local_inputs(self, type_token: str) -> dict[str, Any]:
        """What the local cloud adds to a resource of this type (so a change of it, e.g. an
        emulator address after a restart with persisted data, updates the resource)."""
        assert self.context is not None
        if type_token == "aws:lambda/function:Function":
            return self.context.function_environment()
        if type_token in ISSUER_DEPENDENT:
            return {"issuer": self.context.endpoints.issuer}
        return {}

    def answer_call(
        self, args: MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        assert self.context is not None
        token = args.token
        account, region = self.context.account_id, self.context.region
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": account,
                "arn": f"arn:aws:iam::{account}:root",
                "userId": account,
                "id": account,
            }, None
        if token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}, None
        return super().answer_call(args)
