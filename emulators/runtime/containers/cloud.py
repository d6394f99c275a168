"""The local cloud in containers: MiniStack and the Firebase emulators, started by testcontainers.

Same interface as the process backend
(:class:`hybridstack.emulators.runtime.local_cloud.LocalCloud`):
construct, ``start()`` to get the :class:`LocalCloudEndpoints`, ``reset()`` between tests,
``stop()`` (or leave the ``with`` block) to remove every container. Each emulator runs in its own
container, all started in parallel, and is ready when a real request to it succeeds (the process
backend's per-emulator modules do the checking and wiping:
:mod:`hybridstack.emulators.runtime.ministack`,
``firebase_tools``, ``firestore``, ``pubsub``, ``storage``). Every port is published on
``127.0.0.1`` only, at the same number inside and outside the container, so the URLs an emulator
hands out are right on the host; a port taken meanwhile makes it try another one.

Images are built locally from this package's Dockerfiles the first time (see :mod:`.images`; no
registry is needed) and reused afterwards. With ``image_source="upstream"`` the AWS emulator runs
from a pinned published image instead (see :mod:`.upstream`: MiniStack, Floci or LocalStack, which
needs ``LOCALSTACK_AUTH_TOKEN``). testcontainers' Ryuk reaper is disabled (its image can't be pulled
here); containers are removed by ``stop()``, and containers left by a killed run are removed by the
next ``start()`` (they carry the owner's pid in a label).

Not in containers: the Functions emulator (it runs the user's code base; use the process backend)
and persistence between runs.

Example:
    with ContainerCloud(services=["aws", "firestore"]) as cloud:
        os.environ.update(cloud.endpoints.environment())
        boto3.client("s3").create_bucket(Bucket="media")
        cloud.reset()  # empty again, in well under a second
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import docker
import docker.errors
import requests
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from hybridstack.emulators.runtime import firebase_tools, firestore, pubsub, storage
from hybridstack.emulators.runtime.containers.images import (
    aws_image_spec,
    ensure_image,
    firebase_image_spec,
)
from hybridstack.emulators.runtime.containers.upstream import (
    AwsEmulator,
    ImageSource,
    UpstreamImage,
    check_image_source,
    upstream_aws_image,
)
from hybridstack.emulators.runtime.docker_engine import docker_unavailable_reason
from hybridstack.emulators.runtime.emulator import Emulator
from hybridstack.emulators.runtime.emulators import CONTAINER_SERVICES, emulator
from hybridstack.emulators.runtime.endpoints import DEFAULT_PROJECT_ID, LocalCloudEndpoints
from hybridstack.emulators.runtime.lifecycle import StartedInWith
from hybridstack.emulators.runtime.operations import (
    health_of,
    recreate_event_topic,
    reset_services,
)
from hybridstack.emulators.runtime.storage import StorageEvents

logger = logging.getLogger(__name__)

Service = str
"""One of :data:`~hybridstack.emulators.runtime.emulators.CONTAINER_SERVICES`."""
LOOPBACK = "127.0.0.1"
LABEL = "org.hybridstack.local-cloud"
OWNER_LABEL = "org.hybridstack.owner-pid"
START_TIMEOUT_SECONDS = 120.0
FIREBASE_CLI = "/opt/firebase-tools/node_modules/firebase-tools/lib/bin/firebase.js"
PUBSUB_ALIAS = "pubsub"  # the Pub/Sub container's name on the cloud's own network

Progress = Callable[[str, str], None]
"""``progress(service, status)`` with status ``"starting"``, ``"ready"`` or ``"failed"``
(as the process backend reports); image builds are logged (``logging``) as they happen."""


class DockerUnavailableError(RuntimeError):
    """No Docker engine answers; the message says why and how to get one."""


class EmulatorStartError(RuntimeError):
    """An emulator's container exited or never became ready; the message ends with its log."""


class LoopbackContainer(DockerContainer):
    """A testcontainers container whose ports are published on 127.0.0.1 only."""

    def with_loopback_port(self, container_port: int, host_port: int) -> LoopbackContainer:
        # docker-py's binding (ip, port): testcontainers' own with_bind_ports binds every interface.
        self.ports[f"{container_port}/tcp"] = (LOOPBACK, host_port)  # type: ignore[assignment]
        return self


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass
class _Running:
    service: Service
    container: DockerContainer
    port: int
    address: str  # as clients want it: http://127.0.0.1:port for aws/storage, else host:port


class ContainerCloud(StartedInWith):
    """AWS (MiniStack) and Firebase (Auth, Firestore, Pub/Sub, Storage) emulators in containers.

    Args:
        services: which emulators to start (default: all of ``aws``, ``auth``, ``firestore``,
            ``pubsub``, ``storage``).
        project_id: the Firebase/GCP project; a ``demo-`` id needs no real project.
        aws_iam: enforce IAM in the AWS emulator (MiniStack ``AUTH=true``).
        storage_events: publish Storage object events to a Pub/Sub topic (needs ``storage`` and
            ``pubsub``; the two containers share a network of their own).
        image_source: ``"local"`` builds the images here (no registry needed); ``"upstream"``
            runs the AWS emulator from a pinned published image (Firebase stays local).
        aws_emulator: with ``image_source="upstream"``: ``ministack``, ``floci`` or
            ``localstack`` (needs ``LOCALSTACK_AUTH_TOKEN``).

    Example:
        cloud = ContainerCloud(services=["aws", "auth"])
        endpoints = cloud.start(progress=lambda service, status: print(service, status))
        print(cloud.start_seconds)   # {"aws": 0.9, "auth": 6.1, "total": 6.1}
        cloud.stop()                 # no container left behind
    """

    def __init__(
        self,
        *,
        services: Iterable[str] | None = None,
        project_id: str = DEFAULT_PROJECT_ID,
        aws_iam: bool = False,
        storage_events: StorageEvents | None = None,
        image_source: ImageSource = "local",
        aws_emulator: AwsEmulator = "ministack",
    ) -> None:
        chosen = list(CONTAINER_SERVICES if services is None else dict.fromkeys(services))
        if "functions" in chosen:
            raise ValueError(
                "the containers backend does not run the Functions emulator (it runs your code "
                "base); use the process backend (LocalCloud / --local-cloud=process) for it"
            )
        known = ", ".join(CONTAINER_SERVICES)
        unknown = sorted(set(chosen) - set(CONTAINER_SERVICES))
        if unknown:
            raise ValueError(f"unknown service(s) {', '.join(unknown)}; choose from {known}")
        if not chosen:
            raise ValueError(f"services is empty; choose from {known}")
        if storage_events and not {"storage", "pubsub"} <= set(chosen):
            raise ValueError("storage_events needs both 'storage' and 'pubsub' services")
        if not project_id:
            raise ValueError("project_id is empty; use a 'demo-' id such as 'demo-hybridstack'")
        self.services: tuple[Service, ...] = tuple(s for s in CONTAINER_SERVICES if s in chosen)
        self.project_id = project_id
        self.aws_iam = aws_iam
        self.storage_events = storage_events
        self.image_source = check_image_source(image_source)
        self.upstream: UpstreamImage | None = None
        if self.image_source == "upstream" and "aws" in self.services:
            if aws_iam and aws_emulator == "floci":
                raise ValueError("aws_iam=True: Floci does not enforce IAM; use ministack")
            self.upstream = upstream_aws_image(aws_emulator)  # validates the token up front
        self.start_seconds: dict[str, float] = {}
        self.build_seconds: dict[str, float] = {}
        self._running: dict[Service, _Running] = {}
        self._ready: dict[Service, threading.Event] = {}
        self._network: Network | None = None
        self._endpoints: LocalCloudEndpoints | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    @property
    def endpoints(self) -> LocalCloudEndpoints:
        """Where the running emulators listen (raises before ``start()``)."""
        if self._endpoints is None:
            raise RuntimeError("the container cloud is not started; call start() first")
        return self._endpoints

    @property
    def running(self) -> bool:
        return self._endpoints is not None

    def start(self, progress: Progress | None = None) -> LocalCloudEndpoints:
        """Build missing images, start every emulator in parallel, wait until each answers."""
        if self._endpoints is not None:
            return self._endpoints
        report = progress or (lambda _service, _status: None)
        reason = docker_unavailable_reason()
        if reason:
            raise DockerUnavailableError(reason)
        if os.environ.get("TESTCONTAINERS_RYUK_DISABLED") is None:
            testcontainers_config.ryuk_disabled = True  # its image can't be pulled here
        remove_orphans()
        for service in self.services:
            report(service, "starting")
        started = time.monotonic()
        try:
            images = self._images()
            if self.storage_events:
                self._network = Network().create()
            self._ready = {service: threading.Event() for service in self.services}
            with ThreadPoolExecutor(max_workers=len(self.services)) as pool:
                futures = {
                    service: pool.submit(self._start_one, service, images[service], report)
                    for service in self.services
                }
            for future in futures.values():
                error = future.exception()
                if error is not None:
                    raise error
        except BaseException:
            self.stop()
            raise
        self.start_seconds["total"] = round(time.monotonic() - started, 3)
        self._endpoints = self._make_endpoints()
        return self._endpoints

    def stop(self) -> None:
        """Remove every container this cloud started, and its network (idempotent)."""
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
            network, self._network = self._network, None
        self._endpoints = None
        for event in self._ready.values():
            event.set()  # nobody waits for a Pub/Sub that will never come
        if running:
            with ThreadPoolExecutor(max_workers=len(running)) as pool:
                for item in running:
                    pool.submit(self._remove, item.container)
        if network is not None:
            with contextlib.suppress(docker.errors.APIError):
                network.remove()

    @staticmethod
    def _remove(container: DockerContainer) -> None:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            container.stop(force=True, delete_volume=True)

    # ------------------------------------------------------------------ operations

    def health(self) -> dict[str, bool]:
        """Each running emulator -> whether it answers a real request right now."""
        if self._endpoints is None:
            return {}
        return health_of(self._endpoints, self.services, replacing=self._replacing())

    def reset(self) -> dict[str, float]:
        """Wipe every emulator's data without restarting, in parallel; seconds per emulator."""
        return reset_services(
            self.endpoints,
            self.services,
            storage_events=self.storage_events,
            replacing=self._replacing(),
        )

    def logs(self, service: str, lines: int = 50) -> str:
        """The last ``lines`` lines of an emulator's output."""
        item = next((i for i in self._running.values() if i.service == service), None)
        if item is None:
            raise KeyError(f"{service} is not running; running: {', '.join(self._running)}")
        return _tail(item.container, lines)

    def container_ids(self) -> dict[str, str]:
        """Docker ids of the running containers, by emulator."""
        return {s: item.container.get_container_id() for s, item in self._running.items()}

    # ------------------------------------------------------------------ internals

    def _images(self) -> dict[Service, str]:
        client = docker.from_env(timeout=60)
        try:
            tags: dict[Service, str] = {}
            if "aws" in self.services:
                if self.upstream is not None:
                    tags["aws"] = self.upstream.reference
                else:
                    tags["aws"] = self._build(client, "aws", aws_image_spec)
            firebase = [s for s in self.services if s != "aws"]
            if firebase:
                tag = self._build(client, "firebase", firebase_image_spec)
                tags.update(dict.fromkeys(firebase, tag))
            return tags
        finally:
            client.close()

    def _build(self, client: Any, name: str, make_spec: Callable[[], Any]) -> str:
        began = time.monotonic()
        tag = ensure_image(client, make_spec(), logger.info)
        self.build_seconds[name] = round(time.monotonic() - began, 3)
        return tag

    def _container(self, service: Service, image: str, port: int) -> LoopbackContainer:
        container = LoopbackContainer(image)
        container.with_kwargs(labels={LABEL: service, OWNER_LABEL: str(os.getpid())})
        container.with_name(f"hybridstack-{service}-{os.getpid()}-{uuid4().hex[:6]}")
        if self._network is not None and service in ("pubsub", "storage"):
            container.with_network(self._network)
            if service == "pubsub":
                container.with_network_aliases(PUBSUB_ALIAS)
        if service == "aws":
            if self.upstream is not None:
                container.with_loopback_port(self.upstream.port, port)
                container.with_envs(**self.upstream.environment)
                if self.aws_iam:
                    container.with_envs(ENFORCE_IAM="1", AUTH="true")
                return container
            container.with_loopback_port(port, port)
            container.with_envs(
                GATEWAY_PORT=str(port),
                AUTH="true" if self.aws_iam else "false",
                SFTP_ENABLED="0",
                PERSIST_STATE="0",
                S3_PERSIST="0",
            )
            return container
        container.with_loopback_port(port, port)
        command: list[str]
        if service == "auth":
            config = {
                "emulators": {
                    "auth": {"host": "0.0.0.0", "port": port},
                    "ui": {"enabled": False},
                    "singleProjectMode": True,
                }
            }
            container.with_copy_into_container(
                json.dumps(config).encode(), "/opt/firebase/firebase.json"
            )
            preload = ["--require", "/opt/firebase-tools/lazy-validators.js"]
            command = [
                "node",
                *(preload if firebase_tools.lazy_validators_enabled() else []),
                FIREBASE_CLI,
                *("emulators:start", "--only", "auth", "--project", self.project_id),
                *("--config", "/opt/firebase/firebase.json"),
            ]
        elif service == "firestore":
            command = [
                "java",
                *firestore.JVM_OPTIONS,
                *("-cp", "/opt/emulators/cloud-firestore-emulator.jar", firestore.MAIN_CLASS),
                *("--host", "0.0.0.0", "--port", str(port), "--project_id", self.project_id),
            ]
        elif service == "pubsub":
            command = [
                "java",
                *pubsub.JVM_OPTIONS,
                *("-jar", "/opt/emulators/cloud-pubsub-emulator.jar"),
                *("--host=0.0.0.0", f"--port={port}"),
            ]
        else:  # storage
            url = storage.address(port)
            command = [
                "fake-gcs-server",
                *("-scheme", "http", "-host", "0.0.0.0", "-port", str(port)),
                *("-external-url", url, "-public-host", f"{LOOPBACK}:{port}"),
                *("-log-level", "warn", "-backend", "memory"),
            ]
            if self.storage_events:
                command += self.storage_events.flags()
                pubsub_port = self._running["pubsub"].port
                container.with_env("PUBSUB_EMULATOR_HOST", f"{PUBSUB_ALIAS}:{pubsub_port}")
        container.with_command(command)
        return container

    def _start_one(self, service: Service, image: str, report: Progress) -> None:
        began = time.monotonic()
        try:
            if service == "storage" and self.storage_events:
                self._wait_for_event_topic()
            self._run_container(service, image)
        except BaseException:
            report(service, "failed")
            raise
        finally:
            self._ready[service].set()
        self.start_seconds[service] = round(time.monotonic() - began, 3)
        report(service, "ready")

    def _wait_for_event_topic(self) -> None:
        """Storage events need Pub/Sub running and the topic made first (or events are lost)."""
        self._ready["pubsub"].wait(START_TIMEOUT_SECONDS)
        running = self._running.get("pubsub")
        if running is None or self.storage_events is None:
            raise EmulatorStartError("storage: Pub/Sub did not start, so events have no topic")
        events = self.storage_events
        recreate_event_topic(running.address, events.project_id, events.topic)

    def _run_container(self, service: Service, image: str) -> None:
        last_error: Exception | None = None
        for _attempt in range(3):
            port = free_port()
            container = self._container(service, image, port)
            try:
                container.start()
            except docker.errors.APIError as error:
                self._remove(container)
                # The port was taken between choosing and binding it: try another.
                if any(m in str(error) for m in ("already in use", "port is already allocated")):
                    last_error = error
                    continue
                raise
            item = _Running(service, container, port, emulator(service).address(port))
            with self._lock:
                self._running[service] = item
            self._wait_ready(item)
            if service != "aws" or self.upstream is None or self.upstream.reset_path:
                # A first wipe warms the JVM emulators' code paths: later resets take milliseconds.
                self._emulator(service).reset(item.address, self.project_id)
            logger.info("%s ready at %s", service, item.address)
            return
        raise EmulatorStartError(f"{service}: no free port after 3 attempts: {last_error}")

    def _wait_ready(self, item: _Running) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._healthy(item.service, item.address):
                return
            wrapped = item.container.get_wrapped_container()
            wrapped.reload()
            if wrapped.status in ("exited", "dead"):
                raise EmulatorStartError(
                    f"{item.service}: its container exited during start; last lines of its log:\n"
                    + _tail(item.container, 30)
                )
            time.sleep(0.1)
        raise EmulatorStartError(
            f"{item.service}: not ready after {START_TIMEOUT_SECONDS:.0f} s at {item.address}; "
            "last lines of its log:\n" + _tail(item.container, 30)
        )

    def _replacing(self) -> dict[str, Emulator]:
        """The upstream AWS image in place of the table's MiniStack, when one runs."""
        return {"aws": self.upstream.aws_emulator()} if self.upstream is not None else {}

    def _emulator(self, service: Service) -> Emulator:
        return self._replacing().get(service) or emulator(service)

    def _healthy(self, service: Service, address: str) -> bool:
        return self._emulator(service).health(address)

    def _make_endpoints(self) -> LocalCloudEndpoints:
        address = {item.service: item.address for item in self._running.values()}
        return LocalCloudEndpoints(project_id=self.project_id, **address)


def _tail(container: DockerContainer, lines: int) -> str:
    try:
        raw = container.get_wrapped_container().logs(tail=lines)
    except (docker.errors.APIError, requests.RequestException) as error:
        return f"(logs unavailable: {error})"
    return bytes(raw).decode(errors="replace").rstrip()


def remove_orphans(client: Any | None = None) -> list[str]:
    """Remove local-cloud containers whose owner process is gone (a killed run); their names."""
    own = client or docker.from_env(timeout=30)
    removed: list[str] = []
    try:
        for container in own.containers.list(all=True, filters={"label": LABEL}):
            owner = container.labels.get(OWNER_LABEL, "")
            if owner.isdigit() and _alive(int(owner)):
                continue
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)
                removed.append(container.name)
    finally:
        if client is None:
            own.close()
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
