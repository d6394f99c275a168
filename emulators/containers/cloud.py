"""The local cloud in containers: MiniStack and the Firebase emulators, started by testcontainers.

Same interface as the process backend (:class:`hybridstack.emulators.local_cloud.LocalCloud`):
construct, ``start()`` to get the :class:`LocalCloudEndpoints`, ``reset()`` between tests,
``stop()`` (or leave the ``with`` block) to remove every container. Each emulator runs in its own
container, started in parallel, and is ready when a real request to it succeeds. Every port is
published on ``127.0.0.1`` only, at the same number inside and outside the container (so the URLs an
emulator hands out are right on the host); a port taken meanwhile makes it try another one.

Images are built locally from this package's Dockerfiles the first time (see :mod:`.images`; no
registry is needed) and reused afterwards. With ``image_source="upstream"`` the AWS emulator runs
from a pinned published image instead (see :mod:`.upstream`: MiniStack, Floci or LocalStack, which
needs ``LOCALSTACK_AUTH_TOKEN``). testcontainers' Ryuk reaper is disabled (its image can't be pulled
here); containers are removed by ``stop()``, and containers left by a killed run are removed by the
next ``start()`` (they carry the owner's pid in a label).

Example:
    with ContainerCloud(services=["aws", "firestore"]) as cloud:
        os.environ.update(cloud.endpoints.environment())
        boto3.client("s3").create_bucket(Bucket="media")
        cloud.reset()  # empty again, in well under a second
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

import docker
import docker.errors
import requests
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer

from hybridstack.emulators import firebase_tools, firestore, ministack, pubsub, storage
from hybridstack.emulators.containers.images import (
    aws_image_spec,
    ensure_image,
    firebase_image_spec,
)
from hybridstack.emulators.containers.upstream import (
    AwsEmulator,
    ImageSource,
    UpstreamImage,
    check_image_source,
    upstream_aws_image,
)
from hybridstack.emulators.endpoints import DEFAULT_PROJECT_ID, LocalCloudEndpoints

Service = Literal["aws", "auth", "firestore", "pubsub", "storage"]
SERVICES: tuple[Service, ...] = ("aws", "auth", "firestore", "pubsub", "storage")
LOOPBACK = "127.0.0.1"
LABEL = "org.hybridstack.local-cloud"
OWNER_LABEL = "org.hybridstack.owner-pid"
START_TIMEOUT_SECONDS = 120.0
Progress = Callable[[str], None]


class DockerUnavailableError(RuntimeError):
    """No Docker engine answers; the message says why and how to get one."""


class EmulatorStartError(RuntimeError):
    """An emulator's container exited or never became ready; the message ends with its log."""


def docker_unavailable_reason() -> str | None:
    """Why the containers backend can't run here, or ``None`` when a Docker engine answers."""
    try:
        client = docker.from_env(timeout=10)
        client.ping()
        client.close()
    except Exception as error:  # docker raises many kinds (DockerException, requests, OSError)
        where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        reason = f"no Docker engine answers at {where} ({type(error).__name__}: {error})"
        note = _setup_note()
        return f"{reason}; {note}" if note else reason
    return None


def _setup_note() -> str:
    """What scripts/setup.d/40-docker.sh wrote when it could not start Docker (if it ran)."""
    note = Path(__file__).resolve().parents[2] / ".tools" / "docker" / "unavailable"
    with contextlib.suppress(OSError):
        return "set-up said: " + note.read_text().strip()
    return "run scripts/setup as root to install and start Debian's docker.io"


class _Emulator(Protocol):
    """What each per-emulator module of the process backend offers (reused here)."""

    def address(self, port: int) -> str: ...
    def health(self, address: str) -> bool: ...
    def reset(self, address: str, project_id: str) -> None: ...


EMULATORS: dict[Service, _Emulator] = {
    "aws": ministack,
    "auth": firebase_tools,
    "firestore": firestore,
    "pubsub": pubsub,
    "storage": storage,
}
"""Each emulator's module: its address form, health check and wipe, as for processes."""
FIREBASE_CLI = "/opt/firebase-tools/node_modules/firebase-tools/lib/bin/firebase.js"


@dataclass
class _Running:
    service: Service
    container: DockerContainer
    address: str  # as clients want it: http://127.0.0.1:port for aws/storage, else host:port


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


class ContainerCloud:
    """AWS (MiniStack) and Firebase (Auth, Firestore, Pub/Sub, Storage) emulators in containers.

    Args:
        services: which emulators to start (default: all of ``aws``, ``auth``, ``firestore``,
            ``pubsub``, ``storage``).
        project_id: the Firebase/GCP project; a ``demo-`` id needs no real project.
        aws_iam: enforce IAM in the AWS emulator (MiniStack ``AUTH=true``).
        image_source: ``"local"`` builds the images here (no registry needed); ``"upstream"``
            runs the AWS emulator from a pinned published image (Firebase stays local).
        aws_emulator: with ``image_source="upstream"``: ``ministack``, ``floci`` or
            ``localstack`` (needs ``LOCALSTACK_AUTH_TOKEN``).

    Example:
        cloud = ContainerCloud(services=["aws", "auth"])
        endpoints = cloud.start(progress=print)
        print(cloud.start_seconds)   # {"aws": 0.9, "auth": 6.1}
        cloud.stop()                 # no container left behind
    """

    def __init__(
        self,
        *,
        services: Iterable[str] | None = None,
        project_id: str = DEFAULT_PROJECT_ID,
        aws_iam: bool = False,
        image_source: ImageSource = "local",
        aws_emulator: AwsEmulator = "ministack",
    ) -> None:
        chosen = list(SERVICES if services is None else services)
        unknown = sorted(set(chosen) - set(SERVICES))
        if unknown:
            raise ValueError(
                f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICES)}"
            )
        if not chosen:
            raise ValueError(f"services is empty; choose from {', '.join(SERVICES)}")
        if not project_id:
            raise ValueError("project_id is empty; use a 'demo-' id such as 'demo-hybridstack'")
        self.services: tuple[Service, ...] = tuple(s for s in SERVICES if s in chosen)
        self.project_id = project_id
        self.aws_iam = aws_iam
        self.image_source = check_image_source(image_source)
        self.upstream: UpstreamImage | None = None
        if self.image_source == "upstream" and "aws" in self.services:
            self.upstream = upstream_aws_image(aws_emulator)  # validates token etc. up front
            if aws_iam and aws_emulator == "floci":
                raise ValueError("aws_iam=True: Floci does not enforce IAM; use ministack")
        self.start_seconds: dict[str, float] = {}
        self.build_seconds: dict[str, float] = {}
        self._running: dict[Service, _Running] = {}
        self._endpoints: LocalCloudEndpoints | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    @property
    def endpoints(self) -> LocalCloudEndpoints:
        """Where the running emulators listen (raises before ``start()``)."""
        if self._endpoints is None:
            raise RuntimeError("the container cloud is not started; call start() first")
        return self._endpoints

    def start(self, progress: Progress | None = None) -> LocalCloudEndpoints:
        """Build missing images, start every emulator in parallel, wait until each answers."""
        if self._endpoints is not None:
            return self._endpoints
        say = progress or (lambda _line: None)
        reason = docker_unavailable_reason()
        if reason:
            raise DockerUnavailableError(reason)
        if os.environ.get("TESTCONTAINERS_RYUK_DISABLED") is None:
            testcontainers_config.ryuk_disabled = True  # its image can't be pulled here
        remove_orphans()
        images = self._images(say)
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(max_workers=len(self.services)) as pool:
                futures = {
                    service: pool.submit(self._start_one, service, images[service], say)
                    for service in self.services
                }
                for future in futures.values():
                    future.result()
        except BaseException:
            self.stop()
            raise
        self.start_seconds["total"] = round(time.monotonic() - started, 3)
        self._endpoints = self._make_endpoints()
        return self._endpoints

    def stop(self) -> None:
        """Remove every container this cloud started (idempotent)."""
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
        self._endpoints = None
        if not running:
            return
        with ThreadPoolExecutor(max_workers=len(running)) as pool:
            for item in running:
                pool.submit(self._remove, item.container)

    @staticmethod
    def _remove(container: DockerContainer) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            container.stop(force=True, delete_volume=True)

    def __enter__(self) -> ContainerCloud:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ operations

    def health(self) -> dict[str, bool]:
        """Each started emulator: does it answer a real request right now?"""
        addresses = {item.service: item.address for item in self._running.values()}
        return {service: self._healthy(service, address) for service, address in addresses.items()}

    def reset(self) -> dict[str, float]:
        """Wipe every emulator's data without restarting; seconds each took."""
        if self._endpoints is None:
            raise RuntimeError("the container cloud is not started; call start() first")
        items = list(self._running.values())

        def wipe(item: _Running) -> tuple[str, float]:
            began = time.monotonic()
            self._reset(item.service, item.address)
            return item.service, round(time.monotonic() - began, 4)

        with ThreadPoolExecutor(max_workers=len(items)) as pool:
            return dict(pool.map(wipe, items))

    def logs(self, service: str, lines: int = 50) -> str:
        """The last ``lines`` lines of an emulator's output."""
        item = self._running.get(service)  # type: ignore[call-overload]
        if item is None:
            raise KeyError(f"{service} is not running; running: {', '.join(self._running)}")
        return _tail(item.container, lines)

    def container_ids(self) -> dict[str, str]:
        """Docker ids of the running containers, by emulator."""
        return {s: item.container.get_container_id() for s, item in self._running.items()}

    # ------------------------------------------------------------------ internals

    def _images(self, say: Progress) -> dict[Service, str]:
        client = docker.from_env(timeout=60)
        try:
            tags: dict[Service, str] = {}
            if "aws" in self.services:
                if self.upstream is not None:
                    tags["aws"] = self.upstream.reference
                else:
                    tags["aws"] = self._build(client, "aws", aws_image_spec, say)
            firebase = [s for s in self.services if s != "aws"]
            if firebase:
                tag = self._build(client, "firebase", firebase_image_spec, say)
                tags.update(dict.fromkeys(firebase, tag))
            return tags
        finally:
            client.close()

    def _build(self, client: Any, name: str, make_spec: Callable[[], Any], say: Progress) -> str:
        began = time.monotonic()
        tag = ensure_image(client, make_spec(), say)
        self.build_seconds[name] = round(time.monotonic() - began, 3)
        return tag

    def _container(self, service: Service, image: str, port: int) -> LoopbackContainer:
        container = LoopbackContainer(image)
        container.with_kwargs(labels={LABEL: service, OWNER_LABEL: str(os.getpid())})
        container.with_name(f"hybridstack-{service}-{os.getpid()}-{port}")
        if service == "aws":
            if self.upstream is not None:
                container.with_loopback_port(self.upstream.port, port)
                container.with_envs(**self.upstream.environment)
                if self.aws_iam:
                    container.with_envs(AUTH="true", ENFORCE_IAM="1")
                return container
            container.with_loopback_port(port, port).with_env("GATEWAY_PORT", str(port))
            if self.aws_iam:
                container.with_env("AUTH", "true")
            return container
        container.with_loopback_port(port, port)
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
            preload = (
                ["--require", "/opt/firebase-tools/lazy-validators.js"]
                if firebase_tools.lazy_validators_enabled()
                else []
            )
            container.with_command(
                ["node", *preload, FIREBASE_CLI, "emulators:start", "--only", "auth",
                 "--project", self.project_id, "--config", "/opt/firebase/firebase.json"]
            )  # fmt: skip
        elif service == "firestore":
            container.with_command(
                ["java", "-Duser.language=en", "-cp", "/opt/emulators/cloud-firestore-emulator.jar",
                 "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
                 "--host", "0.0.0.0", "--port", str(port)]
            )  # fmt: skip
        elif service == "pubsub":
            container.with_command(
                ["java", "-jar", "/opt/emulators/cloud-pubsub-emulator.jar",
                 "--host=0.0.0.0", f"--port={port}"]
            )  # fmt: skip
        elif service == "storage":
            container.with_command(
                ["fake-gcs-server", "-scheme", "http", "-host", "0.0.0.0", "-port", str(port),
                 "-backend", "memory", "-public-host", f"{LOOPBACK}:{port}",
                 "-external-url", f"http://{LOOPBACK}:{port}", "-log-level", "warn"]
            )  # fmt: skip
        return container

    def _start_one(self, service: Service, image: str, say: Progress) -> None:
        began = time.monotonic()
        say(f"{service}: starting container from {image}")
        last_error: Exception | None = None
        for _attempt in range(3):
            port = free_port()
            container = self._container(service, image, port)
            try:
                container.start()
            except docker.errors.APIError as error:
                # The port was taken between choosing and binding it: try another.
                self._remove(container)
                if "address already in use" in str(error) or "port is already" in str(error):
                    last_error = error
                    continue
                raise
            address = EMULATORS[service].address(port)
            with self._lock:
                self._running[service] = _Running(service, container, address)
            self._wait_ready(service, container, address)
            if service != "aws" or self.upstream is None or self.upstream.emulator == "ministack":
                # A first wipe warms the JVM emulators' code paths: later resets take milliseconds.
                self._reset(service, address)
            self.start_seconds[service] = round(time.monotonic() - began, 3)
            say(f"{service}: ready at {address} in {self.start_seconds[service]:.1f} s")
            return
        raise EmulatorStartError(f"{service}: no free port after 3 attempts: {last_error}")

    def _wait_ready(self, service: Service, container: DockerContainer, address: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._healthy(service, address):
                return
            wrapped = container.get_wrapped_container()
            wrapped.reload()
            if wrapped.status in ("exited", "dead"):
                raise EmulatorStartError(
                    f"{service}: its container exited during start; last lines of its log:\n"
                    + _tail(container, 30)
                )
            time.sleep(0.1)
        raise EmulatorStartError(
            f"{service}: not ready after {START_TIMEOUT_SECONDS:.0f} s at {address}; last lines "
            "of its log:\n" + _tail(container, 30)
        )

    def _healthy(self, service: Service, address: str) -> bool:
        if service == "aws" and self.upstream is not None:
            try:
                return requests.get(f"{address}{self.upstream.health_path}", timeout=5).ok
            except requests.RequestException:
                return False
        return EMULATORS[service].health(address)

    def _reset(self, service: Service, address: str) -> None:
        if service == "aws" and self.upstream is not None and self.upstream.emulator != "ministack":
            raise NotImplementedError(
                f"reset of the upstream {self.upstream.emulator} image is not supported; "
                "restart the cloud, or use aws_emulator='ministack'"
            )
        EMULATORS[service].reset(address, self.project_id)

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
