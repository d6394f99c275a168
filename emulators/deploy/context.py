"""What every handler needs while one deploy runs: clients, names, the cloud's addresses.

Handlers run concurrently (Pulumi registers independent resources in parallel threads), so
clients are made once under a lock and every shared record is guarded.

Example:
    ctx = DeployContext(endpoints, stack="local")
    ctx.aws("s3").create_bucket(Bucket=ctx.name(resource, lower=True, max_length=63))
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from botocore.config import Config

from hybridstack.emulators.deploy.naming import physical_name
from hybridstack.emulators.deploy.registry import Resource
from hybridstack.emulators.runtime.clients import aws_client, require
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints

HTTP_TIMEOUT = 30.0
T = TypeVar("T")
_NOT_FOR_FUNCTIONS = frozenset({"LOCALSTACK_HOST", "EDGE_PORT"})


class HandlerError(RuntimeError):
    """An emulator refused what a resource declares (the message names the resource)."""


@dataclass(frozen=True)
class NotEmulated:
    """A declared resource with no local meaning, reported by name."""

    type: str
    name: str
    reason: str


@dataclass
class DeployContext:
    """Shared by the handlers of one deploy."""

    endpoints: LocalCloudEndpoints
    stack: str = "local"
    storage_event_topic: str | None = None
    account_id: str = "000000000000"
    not_emulated: list[NotEmulated] = field(default_factory=list)
    adapted: list[NotEmulated] = field(default_factory=list)
    """Resources created with a local difference (the reason says which), e.g. a TLS-only
    bucket policy on a cloud that speaks plain HTTP."""
    rulesets: dict[str, Any] = field(default_factory=dict)
    notifications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Pub/Sub topic id -> Storage buckets whose object events the program sends there."""
    subscriptions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Pub/Sub topic id -> the subscriptions declared on it (for the Storage events bridge)."""
    twins: set[str] = field(default_factory=set)
    ready: set[str] = field(default_factory=set)
    """Engine-internal things made once per deploy (the artifact bucket)."""
    lock: threading.RLock = field(default_factory=threading.RLock)
    _at_end: list[Callable[[], Any]] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict)
    _http: threading.local = field(default_factory=threading.local)

    @property
    def region(self) -> str:
        return self.endpoints.region

    @property
    def project_id(self) -> str:
        return self.endpoints.project_id

    def aws(self, service: str) -> Any:
        """A boto3 client on the AWS emulator (made once, shared by the handler threads)."""
        with self.lock:
            client = self._clients.get(service)
            if client is None:
                client = aws_client(
                    self.endpoints,
                    service,
                    # when_required: no CRC32 trailer (aws-chunked) on uploads over loopback;
                    # staging the 44 MB layer took 1.2 s with it, 0.7 s without
                    config=Config(
                        retries={"max_attempts": 2},
                        max_pool_connections=32,
                        request_checksum_calculation="when_required",
                    ),
                )
                self._clients[service] = client
            return client

    @property
    def http(self) -> requests.Session:
        """A requests session for the Google emulators' REST APIs (one per thread)."""
        session = getattr(self._http, "session", None)
        if session is None:
            session = requests.Session()
            self._http.session = session
        return session

    def google(self, service: str) -> str:
        """``http://host:port`` of a Google emulator (``firestore``, ``pubsub``, ``storage``)."""
        address = require(self.endpoints, service)
        return address if "://" in address else f"http://{address}"

    def name(
        self,
        resource: Resource,
        *,
        explicit: str = "name",
        prefix_input: str | None = "namePrefix",
        max_length: int = 64,
        lower: bool = False,
        allowed: str = r"[^A-Za-z0-9_.\-]",
    ) -> str:
        """The physical name: the declared one, else prefix/logical name + a stable suffix
        (characters outside ``allowed`` become ``-``)."""
        given = resource.inputs.get(explicit)
        if given:
            return str(given)
        prefix = resource.inputs.get(prefix_input) if prefix_input else None
        return physical_name(
            resource.urn or f"{self.stack}::{resource.type}::{resource.name}",
            resource.name,
            prefix=str(prefix) if prefix else None,
            max_length=max_length,
            lower=lower,
            allowed=allowed,
        )

    def function_environment(self) -> dict[str, str]:
        """What the local cloud gives every function besides its own variables, as Lambda gives
        ``AWS_REGION``: where the Google emulators are (``FIRESTORE_EMULATOR_HOST``, ...) and the
        project. (MiniStack itself sets ``AWS_ENDPOINT_URL`` and the role's credentials.)"""
        return {
            name: value
            for name, value in self.endpoints.environment().items()
            if not name.startswith("AWS_") and name not in _NOT_FOR_FUNCTIONS
        }

    def at_end(self, wait: Callable[[], Any]) -> None:
        """Run ``wait`` once every resource is registered, before the deploy returns (a wait the
        resource's dependents need not hold for, e.g. a function leaving Pending)."""
        with self.lock:
            self._at_end.append(wait)

    def finish(self) -> None:
        """Run what :meth:`at_end` deferred, in order."""
        with self.lock:
            waits, self._at_end = self._at_end, []
        for wait in waits:
            wait()

    def report_not_emulated(self, resource: Resource, reason: str) -> None:
        with self.lock:
            self.not_emulated.append(NotEmulated(resource.type, resource.name, reason))

    def report_adapted(self, resource: Resource, what: str) -> None:
        with self.lock:
            self.adapted.append(NotEmulated(resource.type, resource.name, what))

    # -- AWS identifiers -------------------------------------------------------------------------

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:aws:{service}:{where}:{self.account_id}:{resource}"

    @property
    def aws_port(self) -> int:
        url = require(self.endpoints, "aws")
        return urlsplit(url).port or 80

    def api_url(self, api_id: str) -> str:
        """Where the AWS emulator serves an HTTP API: ``http://127.0.0.1:<port>/_aws/...``."""
        base = require(self.endpoints, "aws").rstrip("/")
        return f"{base}/_aws/execute-api/{api_id}"


def fail(resource: Resource, action: str, error: Exception) -> HandlerError:
    """A HandlerError naming the resource, what was attempted and the emulator's answer."""
    return HandlerError(f"{resource.label}: {action} failed: {error}")


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError (``""`` for anything else)."""
    response: Mapping[str, Any] = getattr(error, "response", {}) or {}
    return str(response.get("Error", {}).get("Code", ""))


def update_or_create(
    previous: str | None, update: Callable[[str], T], create: Callable[[], T], *, gone: str
) -> T:
    """Update in place what a previous deploy created (id ``previous``), or create it: when there
    was none, or the emulator no longer has it (it answers the AWS error code ``gone``).

    Example:
        api_id = update_or_create(resource.previous_id(), update_api, create_api,
                                  gone="NotFoundException")
    """
    if previous:
        try:
            return update(previous)
        except Exception as error:
            if error_code(error) != gone:
                raise
    return create()


def create_or_replace(create: Callable[[], T], replace: Callable[[], T], *, exists: str) -> T:
    """Create the resource, or, where the emulator already has one of that name (it answers the
    AWS error code ``exists``), bring that one to what the program declares with ``replace``.

    Example:
        create_or_replace(lambda: client.create_stage(**args),
                          lambda: client.update_stage(**args), exists="ConflictException")
    """
    try:
        return create()
    except Exception as error:
        if error_code(error) != exists:
            raise
        return replace()
