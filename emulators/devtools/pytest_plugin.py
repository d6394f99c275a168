"""pytest plugin (entry point ``hybridstack``): the local cloud and its clients as fixtures.

The local cloud is started once per test session, and only if a selected test asks for it (a
fixture below, or the ``emulators`` marker): unit tests never wait for an emulator. It starts
only the emulators the selected tests need, read from the fixtures they use (``s3`` needs
``aws``, ``firestore_client`` needs ``firestore``, ...) and from
``@pytest.mark.emulators("aws", "auth")`` (a bare ``emulators`` marker: all but Functions).
While it runs, the session's environment points every SDK at it (``AWS_ENDPOINT_URL``,
``FIRESTORE_EMULATOR_HOST``, ...; restored afterwards), and each test that uses it starts from
an empty cloud.

Fixtures:
    local_cloud         session: the running backend (``.endpoints``, ``.reset()``, ``.health()``)
    cloud               per test: wipes every emulator, returns the ``LocalCloudEndpoints``
    aws_session         a ``localstack_client`` session (follows AWS_ENDPOINT_URL/LOCALSTACK_HOST)
    s3, sqs, dynamodb, lambda_client, apigatewayv2, iam   boto3 clients from that session
    aurora_database     a fresh Aurora PostgreSQL cluster whose Data API runs real SQL (Docker)
    docker_engine       skips the test with the reason where no Docker engine answers
    firestore_client    google-cloud-firestore client
    firebase_app        firebase-admin app (anonymous credentials, the emulators' project)
    auth                the Auth emulator's REST API: ``auth.sign_up(email, pw).id_token``
    storage_client      google-cloud-storage client (fake-gcs-server)
    storage_bucket      a fresh, empty Storage bucket
    pubsub_publisher, pubsub_subscriber   Pub/Sub clients

Options:
    --local-cloud=process|containers|external    (ini ``local_cloud``; default ``process``)
        ``external`` uses emulators that already run, found through the exported environment
        (``eval "$(hybridstack local env)"``, or a LocalStack via ``AWS_ENDPOINT_URL``).
    --local-cloud-services=aws,firestore|all     (ini ``local_cloud_services``) start exactly these.
    ini ``local_cloud_project``: the project id (default ``demo-hybridstack``).

Example:
    @pytest.mark.emulators("aws")
    def test_upload(s3):
        s3.create_bucket(Bucket="media")
        s3.put_object(Bucket="media", Key="a.txt", Body=b"hi")

    def test_profile(firestore_client, auth):
        alice = auth.sign_up("alice@example.com", "alice-secret")
        firestore_client.document(f"users/{alice.uid}").set({"plan": "pro"})
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import uuid4

import pytest

from hybridstack.emulators.runtime.emulators import DEFAULT_SERVICES, EMULATORS, emulator
from hybridstack.emulators.runtime.emulators import SERVICES as ALL_SERVICES
from hybridstack.emulators.runtime.endpoints import (
    DEFAULT_PROJECT_ID,
    TEST_ACCESS_KEY,
    TEST_SECRET_KEY,
    LocalCloudEndpoints,
)

if TYPE_CHECKING:
    from hybridstack.emulators.runtime.clients import AuthEmulator

BACKENDS = ("process", "containers", "external")
# ALL_SERVICES: what a marker may name; DEFAULT_SERVICES: what a test that asks for the cloud
# without saying more gets (Functions needs a source). Both from the emulator table.

# The emulators each fixture needs; the session starts the union over the selected tests.
FIXTURE_SERVICES: dict[str, tuple[str, ...]] = {
    "aws_session": ("aws",),
    "s3": ("aws",),
    "sqs": ("aws",),
    "dynamodb": ("aws",),
    "lambda_client": ("aws",),
    "apigatewayv2": ("aws",),
    "iam": ("aws",),
    "aurora_database": ("aws",),
    "firestore_client": ("firestore",),
    "auth": ("auth",),
    "storage_client": ("storage",),
    "storage_bucket": ("storage",),
    "pubsub_publisher": ("pubsub",),
    "pubsub_subscriber": ("pubsub",),
}


def external_variables(service: str) -> str:
    """The variables --local-cloud=external reads for ``service`` (AWS: either of two)."""
    main, *others = emulator(service).variables
    return f"{main} (or {others[0]})" if others else main


# Never let a real AWS identity ride along with requests to the emulators.
_REAL_AWS_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")

_started = pytest.StashKey[tuple[str, Any]]()
_reset_seconds = pytest.StashKey[list[float]]()


class CloudBackend(Protocol):
    """What every backend offers (LocalCloud, ContainerCloud, ExternalCloud)."""

    @property
    def endpoints(self) -> LocalCloudEndpoints: ...

    def start(self, progress: Any = None) -> LocalCloudEndpoints: ...
    def stop(self) -> None: ...
    def reset(self) -> dict[str, float]: ...


# --- options and markers ---------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hybridstack", "hybridstack local cloud")
    group.addoption(
        "--local-cloud",
        choices=BACKENDS,
        default=None,
        help="how the local cloud runs: process (default), containers (testcontainers), "
        "external (emulators already running, found through the environment)",
    )
    group.addoption(
        "--local-cloud-services",
        default=None,
        metavar="LIST",
        help="comma-separated emulators to start (aws,auth,functions,firestore,pubsub,storage) "
        "or 'all'; default: what the selected tests' fixtures and markers need",
    )
    group.addoption(
        "--pulumi-project-dir",
        default=None,
        metavar="DIR",
        help="the Pulumi project the deployed_stack fixture deploys (its Pulumi.yaml, "
        "Pulumi.local.yaml and program) [default: pytest's rootdir]",
    )
    parser.addini("local_cloud", "default for --local-cloud", default="process")
    parser.addini("pulumi_project_dir", "default for --pulumi-project-dir", default="")
    parser.addini("local_cloud_services", "default for --local-cloud-services", default="")
    parser.addini(
        "local_cloud_project", "project id of the local cloud", default=DEFAULT_PROJECT_ID
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "emulators(*services): needs the local cloud, with these emulators "
        f"({', '.join(ALL_SERVICES)}); started once per session by the hybridstack plugin",
    )
    config.addinivalue_line("markers", "containers: needs a Docker engine (containers backend)")
    backend = _backend_kind(config)
    if backend not in BACKENDS:
        raise pytest.UsageError(
            f"local_cloud = {backend!r} in the ini file: expected one of {', '.join(BACKENDS)}"
        )
    _forced_services(config)  # validate early


def pulumi_project_dir(config: pytest.Config) -> Path:
    """The Pulumi project ``deployed_stack`` deploys: ``--pulumi-project-dir``, the
    ``pulumi_project_dir`` ini value (relative to the rootdir), or pytest's rootdir."""
    chosen = config.getoption("pulumi_project_dir") or config.getini("pulumi_project_dir")
    return (config.rootpath / chosen).resolve() if chosen else config.rootpath


def _backend_kind(config: pytest.Config) -> str:
    return str(config.getoption("--local-cloud") or config.getini("local_cloud") or "process")


def _parse_services(text: str, where: str) -> tuple[str, ...]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return ALL_SERVICES
    unknown = [name for name in names if name not in ALL_SERVICES]
    if unknown:
        raise pytest.UsageError(
            f"{where}: unknown emulator {', '.join(map(repr, unknown))}; "
            f"expected some of {', '.join(ALL_SERVICES)} or 'all'"
        )
    return tuple(sorted(set(names)))


def _forced_services(config: pytest.Config) -> tuple[str, ...] | None:
    option = config.getoption("--local-cloud-services")
    if option:
        return _parse_services(option, "--local-cloud-services")
    ini = str(config.getini("local_cloud_services") or "")
    if ini.strip():
        return _parse_services(ini, "local_cloud_services (ini)")
    return None


def item_services(item: pytest.Item) -> set[str]:
    """The emulators one test needs: its ``emulators`` markers and the fixtures it uses."""
    names = set(getattr(item, "fixturenames", ()))
    services: set[str] = set()
    for marker in item.iter_markers("emulators"):
        for service in marker.args:
            if service not in ALL_SERVICES:
                raise pytest.UsageError(
                    f"{item.nodeid}: @pytest.mark.emulators({service!r}): unknown emulator; "
                    f"expected some of {', '.join(ALL_SERVICES)}"
                )
            services.add(service)
    for fixture in names:
        services.update(FIXTURE_SERVICES.get(fixture, ()))
    if not services and uses_local_cloud(item):
        services.update(DEFAULT_SERVICES)
    return services


def uses_local_cloud(item: pytest.Item) -> bool:
    """A test uses the local cloud through a fixture or by its ``emulators`` marker."""
    return "local_cloud" in getattr(item, "fixturenames", ()) or (
        item.get_closest_marker("emulators") is not None
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses the local cloud ``emulators`` (so ``-m "not emulators"`` works)."""
    for item in items:
        if uses_local_cloud(item):
            item_services(item)  # fail on a bad marker at collection, not mid-run
            if item.get_closest_marker("emulators") is None:
                item.add_marker(pytest.mark.emulators)


def session_services(session: pytest.Session) -> tuple[str, ...]:
    """The emulators this session starts: forced by option, or what the selected tests need."""
    forced = _forced_services(session.config)
    if forced is not None:
        return forced
    needed: set[str] = set()
    for item in session.items:
        if uses_local_cloud(item):
            needed |= item_services(item)
    return tuple(sorted(needed or DEFAULT_SERVICES))


# --- the session's local cloud ---------------------------------------------------------------


def _make_backend(
    kind: str, services: tuple[str, ...], project_id: str, state_dir: Path
) -> CloudBackend:
    if kind == "process":
        from hybridstack.emulators.runtime.local_cloud import LocalCloud

        # Its own state folder: a `hybridstack local up` running beside the tests is untouched.
        return LocalCloud(services=list(services), project_id=project_id, state_dir=state_dir)
    if kind == "containers":
        from hybridstack.emulators.runtime.containers.cloud import ContainerCloud

        return ContainerCloud(services=list(services), project_id=project_id)
    from hybridstack.emulators.runtime.external import ExternalCloud

    cloud = ExternalCloud.from_environment(os.environ)
    missing = [name for name in services if not getattr(cloud.endpoints, name)]
    if missing:
        variables = ", ".join(external_variables(name) for name in missing)
        raise pytest.UsageError(
            f"--local-cloud=external: the tests need {', '.join(missing)} but {variables} "
            "is not set (export the local cloud's environment, e.g. "
            'eval "$(hybridstack local env)")'
        )
    return cloud


@pytest.fixture(scope="session")
def local_cloud(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CloudBackend]:
    """The session's local cloud, started on first use and stopped at the end of the session."""
    config = request.config
    kind = _backend_kind(config)
    services = session_services(request.session)
    project_id = str(config.getini("local_cloud_project"))
    backend = _make_backend(kind, services, project_id, tmp_path_factory.mktemp("local-cloud"))
    patcher = pytest.MonkeyPatch()
    try:
        try:
            endpoints = backend.start()
        except Exception as error:
            if type(error).__name__ == "DockerUnavailableError":
                pytest.skip(f"--local-cloud=containers: no Docker engine here: {error}")
            raise
        config.stash[_started] = (kind, backend)
        if kind != "external":
            for row in EMULATORS:  # a variable of an emulator this cloud lacks must not leak
                if row.choosable and not getattr(endpoints, row.name):
                    for name in row.variables:
                        patcher.delenv(name, raising=False)
        for name in _REAL_AWS_VARIABLES:
            patcher.delenv(name, raising=False)
        for name, value in endpoints.environment().items():
            patcher.setenv(name, value)
        yield backend
    finally:
        patcher.undo()
        backend.stop()


@pytest.fixture
def cloud(request: pytest.FixtureRequest, local_cloud: CloudBackend) -> LocalCloudEndpoints:
    """Wipe every emulator, then hand the test the endpoints: each test starts from empty."""
    started = time.perf_counter()
    local_cloud.reset()
    request.config.stash.setdefault(_reset_seconds, []).append(time.perf_counter() - started)
    return local_cloud.endpoints


@pytest.fixture(autouse=True)
def _local_cloud_for_marked_tests(request: pytest.FixtureRequest) -> None:
    """A test marked ``emulators`` gets a freshly reset cloud even without asking for a fixture
    (service code under test makes its own clients from the environment)."""
    if request.node.get_closest_marker("emulators") is not None:
        request.getfixturevalue("cloud")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _started not in config.stash:
        return
    kind, backend = config.stash[_started]
    seconds: dict[str, float] = getattr(backend, "start_seconds", {}) or {}
    figures = ", ".join(f"{name} {value:.1f} s" for name, value in sorted(seconds.items()))
    terminalreporter.write_sep("-", "hybridstack local cloud")
    terminalreporter.write_line(f"backend {kind}; started: {figures or 'already running'}")
    recorded: list[float] = config.stash.get(_reset_seconds, [])
    resets = sorted(recorded)
    if resets:
        median = resets[len(resets) // 2]
        terminalreporter.write_line(
            f"{len(resets)} per-test resets: median {median * 1000:.0f} ms, "
            f"slowest {resets[-1] * 1000:.0f} ms"
        )


# --- clients ---------------------------------------------------------------------------------


class _SessionClients:
    """Clients made once per session (they survive resets) and closed at its end."""

    def __init__(self, endpoints: LocalCloudEndpoints):
        self.endpoints = endpoints
        self._aws: dict[str, Any] = {}

    def _need(self, service: str) -> None:
        if not getattr(self.endpoints, service):
            raise RuntimeError(
                f"this session's local cloud runs no {service!r} emulator; mark the test "
                f'@pytest.mark.emulators("{service}") or pass --local-cloud-services'
            )

    @cached_property
    def aws_session(self) -> Any:
        from localstack_client.session import Session

        self._need("aws")
        host_port = str(self.endpoints.aws).split("://", 1)[-1].rstrip("/")
        return Session(
            aws_access_key_id=TEST_ACCESS_KEY,
            aws_secret_access_key=TEST_SECRET_KEY,
            region_name=self.endpoints.region,
            localstack_host=host_port,
        )

    def aws(self, service: str) -> Any:
        from hybridstack.emulators.runtime.clients import aws_client

        if service not in self._aws:
            self._need("aws")
            self._aws[service] = aws_client(self.endpoints, service)
        return self._aws[service]

    @cached_property
    def firestore(self) -> Any:
        from hybridstack.emulators.runtime.clients import firestore_client

        self._need("firestore")
        return firestore_client(self.endpoints)

    @cached_property
    def storage(self) -> Any:
        from hybridstack.emulators.runtime.clients import storage_client

        self._need("storage")
        return storage_client(self.endpoints)

    @cached_property
    def publisher(self) -> Any:
        from hybridstack.emulators.runtime.clients import publisher_client

        self._need("pubsub")
        return publisher_client(self.endpoints)

    @cached_property
    def subscriber(self) -> Any:
        from hybridstack.emulators.runtime.clients import subscriber_client

        self._need("pubsub")
        return subscriber_client(self.endpoints)

    @cached_property
    def firebase_app(self) -> Any:
        from hybridstack.emulators.runtime.clients import firebase_app

        return firebase_app(self.endpoints, name="hybridstack-pytest")

    def close(self) -> None:
        cached = self.__dict__
        if "firestore" in cached:
            cached["firestore"].close()
        if "subscriber" in cached:
            cached["subscriber"].close()
        if "publisher" in cached:
            cached["publisher"].stop()
        if "firebase_app" in cached:
            import firebase_admin

            firebase_admin.delete_app(cached["firebase_app"])


@pytest.fixture(scope="session")
def _local_cloud_clients(local_cloud: CloudBackend) -> Iterator[_SessionClients]:
    clients = _SessionClients(local_cloud.endpoints)
    yield clients
    clients.close()


@pytest.fixture
def aws_session(cloud: LocalCloudEndpoints, _local_cloud_clients: _SessionClients) -> Any:
    """A ``localstack_client.session.Session`` on the AWS emulator."""
    return _local_cloud_clients.aws_session


@pytest.fixture
def s3(aws_session: Any, _local_cloud_clients: _SessionClients) -> Any:
    return _local_cloud_clients.aws("s3")


@pytest.fixture
def sqs(aws_session: Any, _local_cloud_clients: _SessionClients) -> Any:
    return _local_cloud_clients.aws("sqs")


@pytest.fixture
def dynamodb(aws_session: Any, _local_cloud_clients: _SessionClients) -> Any:
    return _local_cloud_clients.aws("dynamodb")


@pytest.fixture
def lambda_client(aws_session: Any, _local_cloud_clients: _SessionClients) -> Any:
    return _local_cloud_clients.aws("lambda")


@pytest.fixture
def apigatewayv2(aws_session: Any, _local_cloud_clients: _SessionClients) -> Any:
    return _local_cloud_clients.aws("apigatewayv2")


@pytest.fixture
def iam(aws_session: Any, _local_cloud_clients: _SessionClients) -> Any:
    return _local_cloud_clients.aws("iam")


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """Skips the test, with the reason, where no Docker engine answers: Aurora PostgreSQL (and
    the containers backend) cannot run there. ``scripts/setup`` starts one when run as root."""
    from hybridstack.emulators.runtime.docker_engine import docker_unavailable_reason

    reason = docker_unavailable_reason()
    if reason is not None:
        pytest.skip(f"needs a Docker engine: {reason}")


@pytest.fixture
def aurora_database(
    docker_engine: None, aws_session: Any, _local_cloud_clients: _SessionClients
) -> Any:
    """A fresh Aurora PostgreSQL cluster ``catalog-<random>`` (database ``platform``) whose Data
    API runs real SQL (:class:`hybridstack.emulators.runtime.aurora.AuroraDatabase`); 2-4 s to
    create.

    Needs a Docker engine (MiniStack runs the database in a container): without one the test is
    skipped with the reason (``docker_engine``).
    The id is unique because MiniStack names containers by account, region and cluster id, so
    two local clouds on one Docker engine must not both create ``catalog``.
    """
    from hybridstack.emulators.runtime.aurora import create_database

    return create_database(
        _local_cloud_clients.aws("rds"),
        f"catalog-{uuid4().hex[:8]}",
        database="platform",
        rds_data=_local_cloud_clients.aws("rds-data"),
    )


@pytest.fixture
def firestore_client(cloud: LocalCloudEndpoints, _local_cloud_clients: _SessionClients) -> Any:
    """A ``google.cloud.firestore.Client`` on the Firestore emulator."""
    return _local_cloud_clients.firestore


@pytest.fixture
def firebase_app(cloud: LocalCloudEndpoints, _local_cloud_clients: _SessionClients) -> Any:
    """A firebase-admin app for the local cloud's project (``auth.verify_id_token(t, app=...)``)."""
    return _local_cloud_clients.firebase_app


@pytest.fixture
def auth(cloud: LocalCloudEndpoints) -> AuthEmulator:
    """The Auth emulator as a client app and an admin see it: ``auth.sign_up(...)``."""
    from hybridstack.emulators.runtime.clients import AuthEmulator

    return AuthEmulator(cloud)


@pytest.fixture
def storage_client(cloud: LocalCloudEndpoints, _local_cloud_clients: _SessionClients) -> Any:
    """A ``google.cloud.storage.Client`` on the Storage emulator."""
    return _local_cloud_clients.storage


@pytest.fixture
def storage_bucket(storage_client: Any) -> Any:
    """A fresh, empty Storage bucket (``google.cloud.storage.Bucket``)."""
    return storage_client.create_bucket(f"test-{uuid4().hex[:12]}")


@pytest.fixture
def pubsub_publisher(cloud: LocalCloudEndpoints, _local_cloud_clients: _SessionClients) -> Any:
    """A ``google.cloud.pubsub_v1.PublisherClient`` on the Pub/Sub emulator."""
    return _local_cloud_clients.publisher


@pytest.fixture
def pubsub_subscriber(cloud: LocalCloudEndpoints, _local_cloud_clients: _SessionClients) -> Any:
    """A ``google.cloud.pubsub_v1.SubscriberClient`` on the Pub/Sub emulator."""
    return _local_cloud_clients.subscriber


# --- the deployed local stack (issue 5; emulators/devtools/pytest_fixtures.py) -----------------

from hybridstack.emulators.devtools.pytest_fixtures import deployed_stack  # noqa: E402,F401
