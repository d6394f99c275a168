"""The local cloud as processes: every emulator started in parallel on 127.0.0.1, ready for real.

``LocalCloud`` starts MiniStack (AWS), firebase-tools (Auth, Functions), the Firestore and
Pub/Sub emulators and fake-gcs-server (Storage), each in its own process group with a log and a
pid file in the state directory; it waits for a request that really works, reports each start
time, wipes every emulator's data without restarting, and stops leaving nothing behind. A dead
emulator can be restarted on its ports (:meth:`LocalCloud.restart`, driven by
:mod:`~hybridstack.emulators.runtime.supervision`). A run whose owner was killed leaves orphans
(:func:`orphans`), cleaned up by the next one (its pid files). With Auth comes the local issuer
that signs its identities (:mod:`~hybridstack.emulators.runtime.local_issuer`).

Example:
    with LocalCloud(services=["aws", "firestore"]) as cloud:
        os.environ.update(cloud.endpoints.environment())
        boto3.client("s3").create_bucket(Bucket="media")
        cloud.reset()                    # empty again, in well under a second

    cloud = LocalCloud()                 # everything but Functions
    endpoints = cloud.start(progress=lambda service, status: print(service, status))
    print(cloud.start_seconds)           # {"aws": 1.9, "auth": 2.8, ...}
    cloud.stop()
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from hybridstack.emulators.runtime import (
    aurora,
    firebase_tools,
    firestore,
    local_issuer,
    ministack,
    pubsub,
    storage,
)
from hybridstack.emulators.runtime.emulators import DEFAULT_SERVICES, EMULATORS, SERVICES
from hybridstack.emulators.runtime.endpoints import DEFAULT_PROJECT_ID, LocalCloudEndpoints
from hybridstack.emulators.runtime.lifecycle import StartedInWith
from hybridstack.emulators.runtime.operations import (
    health_of,
    recreate_event_topic,
    reset_services,
)
from hybridstack.emulators.runtime.ports import choose_port, release_port
from hybridstack.emulators.runtime.process import (
    EmulatorStartError,
    Launch,
    ManagedProcess,
    PortTakenError,
    StartCancelledError,
    port_listeners,
    read_pid_files,
    reap_stale,
    recorded_process_alive,
)
from hybridstack.emulators.runtime.run_state import (
    ProcessRecord,
    RunState,
    clear_state,
    default_state_dir,
    new_state,
    owner_alive,
    read_state,
    write_state,
)
from hybridstack.emulators.runtime.storage import StorageEvents

__all__ = [
    "DEFAULT_PROJECT_ID",
    "LocalCloud",
    "LocalCloudAlreadyRunningError",
    "StorageEvents",
]

PORT_CLASH_MARKERS = ("address already in use", "port taken", "bindexception", "is already in use")

_ACTIVE_STATE_DIRS: set[Path] = set()  # claimed by a LocalCloud of this process
_ACTIVE_LOCK = threading.Lock()

Progress = Callable[[str, str], None]
"""``progress(service, status)`` with status ``"starting"``, ``"ready"`` or ``"failed"``."""


class LocalCloudAlreadyRunningError(RuntimeError):
    """Another live process owns the state directory's local cloud."""


def data_dir(state_dir: Path, name: str) -> Path:
    """Where a persisting local cloud keeps emulator ``name``'s data."""
    return state_dir / "data" / name


def orphans(state_dir: Path) -> dict[str, int]:
    """Emulator processes a killed run left running in ``state_dir``: name -> pid."""
    return {
        str(record["name"]): int(str(record["pid"]))
        for record in read_pid_files(state_dir)
        if recorded_process_alive(record)
    }


def clean_up_killed_run(
    state_dir: Path, state: RunState | None, *, keep_data: bool, grace: float | None = None
) -> list[str]:
    """Stop the process groups a killed run left in ``state_dir`` (names of those stopped), and
    remove its MiniStack's Aurora database containers and, unless ``keep_data``, their data.

    A persisting run's Firestore emulator is exported first: its owner was killed before its
    export at stop, and the orphan still holds every write (MiniStack and firebase-tools save
    their own data on the SIGTERM that stops them)."""
    running = orphans(state_dir)
    if state and state.persist and state.endpoints.firestore and "firestore" in running:
        try:
            firestore.export(
                state.endpoints.firestore, state.project_id, data_dir(state_dir, "firestore")
            )
        except Exception as error:  # the clean-up must go on; say what was not kept
            warnings.warn(f"the killed run's Firestore data was not saved: {error}", stacklevel=2)
    port = ministack.port_of(state.endpoints.aws) if state and state.endpoints.aws else None
    orphan_aws = port is not None and ministack.NAME in running
    with aurora.databases_removed_after(port, running=orphan_aws, keep_data=keep_data):
        stopped = reap_stale(state_dir) if grace is None else reap_stale(state_dir, grace=grace)
    ministack.remove_worker_folders(state_dir)
    return stopped


@dataclass
class _Started:
    process: ManagedProcess
    addresses: dict[str, str]
    ports: list[int]
    seconds: float
    restarts: int = 0


@dataclass
class _Unit:
    """One process to start: the services it serves and how to build its launch.

    ``build(same_ports)`` makes the launch; ``same_ports=True`` (a restart by the supervisor)
    reuses the ports of the previous build, so clients and a deployed stack keep their address.
    """

    name: str
    services: list[str]
    build: Callable[[bool], tuple[Launch, dict[str, str], list[int]]]
    before: Callable[[], None] | None = None
    depends_on: list[str] = field(default_factory=list)


class LocalCloud(StartedInWith):
    """AWS and Firebase emulators as local processes; see the module docstring.

    Args:
        services: which of :data:`SERVICES` to run; ``None`` = all but ``functions``, plus
            ``functions`` when ``functions_source`` is given.
        project_id: the Firebase/GCP project (a ``demo-`` id needs no real project).
        state_dir: logs, pid files, ``state.json``, persisted data (default
            ``$HYBRIDSTACK_STATE_DIR`` or ``./.hybridstack/local``).
        aws_iam: enforce IAM in MiniStack (``AUTH=true``).
        persist: keep emulator data across restarts under ``<state_dir>/data``.
        functions_source: a Firebase functions codebase (python311) for the Functions emulator.
        storage_events: publish Storage object events to a Pub/Sub topic (needs ``pubsub``).
    """

    def __init__(
        self,
        *,
        services: Iterable[str] | None = None,
        project_id: str = DEFAULT_PROJECT_ID,
        state_dir: Path | None = None,
        aws_iam: bool = False,
        persist: bool = False,
        functions_source: Path | None = None,
        storage_events: StorageEvents | None = None,
    ) -> None:
        if services is None:
            chosen = list(DEFAULT_SERVICES) + (["functions"] if functions_source else [])
        else:
            chosen = list(dict.fromkeys(services))
        unknown = [service for service in chosen if service not in SERVICES]
        if unknown:
            raise ValueError(f"unknown local cloud service(s) {unknown}; choose from {SERVICES}")
        if not chosen:
            raise ValueError(f"no service to start; choose from {SERVICES}")
        if "functions" in chosen and functions_source is None:
            raise ValueError("the 'functions' service needs functions_source (a codebase folder)")
        if functions_source is not None and "functions" not in chosen:
            chosen.append("functions")
        if storage_events and not {"storage", "pubsub"} <= set(chosen):
            raise ValueError("storage_events needs both 'storage' and 'pubsub' services")
        if not project_id:
            raise ValueError("project_id must not be empty")
        self.services: list[str] = [service for service in SERVICES if service in chosen]
        self.project_id = project_id
        self.state_dir = (state_dir or default_state_dir()).resolve()
        self.aws_iam = aws_iam
        self.persist = persist
        self.functions_source = functions_source
        self.storage_events = storage_events
        self.endpoints = LocalCloudEndpoints(project_id=project_id)
        self.start_seconds: dict[str, float] = {}
        self._processes: dict[str, _Started] = {}
        self._units_by_name: dict[str, _Unit] = {}
        self._chosen_ports: dict[str, int] = {}
        self.removed_orphans: dict[str, int] = {}
        """Processes a killed run had left running that this start stopped: name -> pid."""
        self._lock = threading.Lock()
        self._claimed = False
        self._starting = False
        self._cancel = threading.Event()

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether this object started emulators that are not stopped yet."""
        return bool(self._processes)

    def start(self, progress: Progress | None = None) -> LocalCloudEndpoints:
        """Start every chosen emulator in parallel and wait until each really answers."""
        if self._processes:
            return self.endpoints
        report = progress or (lambda service, status: None)
        self._claim_state_dir()
        try:
            units = self._units()
        except BaseException:
            self.stop()
            raise
        self._units_by_name = {unit.name: unit for unit in units}
        started_at = time.perf_counter()
        futures: dict[str, Future[_Started]] = {}
        self._starting = True
        atexit.register(self.stop)
        self._cancel.clear()
        with ThreadPoolExecutor(max_workers=len(units)) as pool:
            for unit in units:
                futures[unit.name] = pool.submit(self._start_unit, unit, futures, report)
            try:
                _done, pending = wait(list(futures.values()), return_when=FIRST_EXCEPTION)
                if pending:  # one failed: the others need not finish starting
                    self._cancel.set()
                    wait(pending)
            except BaseException:  # Ctrl-C while starting: stop waiting, stop what started
                self._cancel.set()
                pool.shutdown(wait=True, cancel_futures=True)
                self.stop()
                raise
        errors = [error for f in futures.values() if (error := f.exception()) is not None]
        if errors:
            self.stop()  # a failed start keeps the data it found (no export of a partial run)
            causes = [error for error in errors if not isinstance(error, StartCancelledError)]
            raise (causes or errors)[0]
        self._starting = False
        addresses: dict[str, str] = {}
        for started in self._processes.values():
            addresses |= started.addresses
        self.endpoints = LocalCloudEndpoints(project_id=self.project_id, **addresses)
        self.start_seconds["total"] = time.perf_counter() - started_at
        self._write_state()
        return self.endpoints

    def stop(self) -> None:
        """Stop every emulator process group (SIGTERM, then SIGKILL); nothing is left running."""
        with self._lock:
            started = list(self._processes.values())
            self._processes.clear()
        self._export_persisted(started)
        aws = next((item.addresses["aws"] for item in started if "aws" in item.addresses), None)
        aws_port = ministack.port_of(aws) if aws else None
        with aurora.databases_removed_after(aws_port, running=True, keep_data=self.persist):
            if started:
                with ThreadPoolExecutor(max_workers=len(started)) as pool:
                    list(pool.map(lambda item: item.process.stop(), started))
                for item in started:
                    for port in item.ports:
                        release_port(port)
        ministack.remove_worker_folders(self.state_dir)
        state = read_state(self.state_dir)
        if state is not None and state.owner_pid == _own_pid():
            clear_state(self.state_dir)
        if self._claimed:
            self.issuer_key_path.unlink(missing_ok=True)
            with _ACTIVE_LOCK:
                _ACTIVE_STATE_DIRS.discard(self.state_dir)
            self._claimed = False
        atexit.unregister(self.stop)

    def _export_persisted(self, started: list[_Started]) -> None:
        """Firestore keeps data only through an export: write it before stopping."""
        address = next(
            (i.addresses["firestore"] for i in started if "firestore" in i.addresses), None
        )
        if address is None or self._starting:
            return
        try:
            self._export_firestore(address)
        except Exception as error:  # stopping must go on; say what was not kept
            warnings.warn(f"Firestore data was not persisted: {error}", stacklevel=3)

    def _export_firestore(self, address: str) -> bool:
        directory = self._data_dir("firestore")
        if directory is None:
            return False
        firestore.export(address, self.project_id, directory)
        return True

    def checkpoint(self) -> bool:
        """Save what an emulator keeps only in memory while persisting (Firestore: an export
        the next start or restart loads); False when there is nothing to save. Called
        periodically by :class:`~hybridstack.emulators.runtime.supervision.Supervisor`."""
        with self._lock:
            started = self._processes.get("firestore")
        if started is None or self._starting or not started.process.running():
            return False
        return self._export_firestore(started.addresses["firestore"])

    def restart(self, name: str) -> float:
        """Start process ``name`` (a key of :meth:`pids`) again on the ports it had, after it
        died; seconds until it answered. Raises
        :class:`~hybridstack.emulators.runtime.process.EmulatorStartError` (with its log's last
        lines)
        when it does not come back. Used by :class:`~hybridstack.emulators.runtime.supervision.
        Supervisor`; what the restart loses is listed there."""
        with self._lock:
            old = self._processes.pop(name)
        # the leader died: its workers (same group) go too, and a killed MiniStack's database
        # containers (it cannot remove them; kept with their volumes while persisting)
        aws_port = ministack.port_of(old.addresses["aws"]) if "aws" in old.addresses else None
        with aurora.databases_removed_after(aws_port, running=False, keep_data=self.persist):
            old.process.stop(grace=2.0)
        for port in old.ports:  # an emulator may not exit when it cannot bind: check first
            if listeners := port_listeners(port):
                pids = ", ".join(str(pid) for pid in listeners if pid)
                raise PortTakenError(
                    name,
                    f"cannot listen on its address again: port {port} is taken by another "
                    f"process{f' (pid {pids})' if pids else ''}",
                    None,
                )
        # the new process writes a new log: keep the one that says why it died
        old.process.log_path.replace(self.crashed_log_path(name))
        unit = self._units_by_name[name]
        clock = time.perf_counter()
        if unit.before:
            unit.before()
        started = self._spawn_with_retry(unit, same_ports=True)
        started.seconds = time.perf_counter() - clock
        started.restarts = old.restarts + 1
        if name == "pubsub" and self.storage_events:  # Storage events need their topic back
            events = self.storage_events
            recreate_event_topic(started.addresses["pubsub"], events.project_id, events.topic)
        self._write_state()
        return started.seconds

    def restarts(self) -> dict[str, int]:
        """How often each running process was restarted after dying."""
        with self._lock:
            return {name: item.restarts for name, item in self._processes.items()}

    def reset(self) -> dict[str, float]:
        """Wipe every emulator's data without restarting; seconds per emulator."""
        return reset_services(self.endpoints, self.services, storage_events=self.storage_events)

    def health(self) -> dict[str, bool]:
        """Each running emulator -> whether it answers."""
        return health_of(self.endpoints)

    def log_path(self, name: str) -> Path:
        """Log file of a process (``aws``, ``firebase``, ``firestore``, ``pubsub``, ``storage``)."""
        return self.state_dir / f"{name}.log"

    def crashed_log_path(self, name: str) -> Path:
        """The log of process ``name`` before its last restart (why it died)."""
        return self.state_dir / f"{name}.crashed.log"

    def exited(self) -> dict[str, int]:
        """Emulator processes that have exited on their own -> exit code."""
        with self._lock:
            items = list(self._processes.items())
        return {
            name: code for name, item in items if (code := item.process.popen.poll()) is not None
        }

    def pids(self) -> dict[str, int]:
        """Process-group id of each running emulator process."""
        return {name: item.process.pgid for name, item in self._processes.items()}

    # -- internals -----------------------------------------------------------------------------

    def _claim_state_dir(self) -> None:
        state = read_state(self.state_dir)
        other_process = state is not None and owner_alive(state) and state.owner_pid != _own_pid()
        with _ACTIVE_LOCK:
            if other_process or self.state_dir in _ACTIVE_STATE_DIRS:
                owner = state.owner_pid if state and other_process else _own_pid()
                raise LocalCloudAlreadyRunningError(
                    f"a local cloud is already running (pid {owner}, state dir "
                    f"{self.state_dir}): stop it with `hybridstack local down`, or give this one "
                    "another state directory (HYBRIDSTACK_STATE_DIR)"
                )
            _ACTIVE_STATE_DIRS.add(self.state_dir)
            self._claimed = True
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.removed_orphans = orphans(self.state_dir)
        clean_up_killed_run(self.state_dir, state, keep_data=self.persist)
        clear_state(self.state_dir)

    def _data_dir(self, name: str) -> Path | None:
        return data_dir(self.state_dir, name) if self.persist else None

    def _port(self, key: str, preferred: int, same_ports: bool) -> int:
        """The port of ``key``: the one it had when ``same_ports``, else a free one."""
        if not (same_ports and key in self._chosen_ports):
            self._chosen_ports[key] = choose_port(preferred)
        return self._chosen_ports[key]

    def _units(self) -> list[_Unit]:
        """The processes to start; tools are located here, so a missing one fails before any."""
        units: list[_Unit] = []
        run_dir = self.state_dir
        if "aws" in self.services:
            aurora_env: list[dict[str, str]] = []  # computed once, on the first attempt

            def build_aws(same_ports: bool) -> tuple[Launch, dict[str, str], list[int]]:
                port = self._port("aws", 4566, same_ports)
                if not aurora_env:
                    aurora_env.append(aurora.ministack_environment())
                launch = ministack.launch(
                    port,
                    run_dir,
                    iam=self.aws_iam,
                    persist_dir=self._data_dir("aws"),
                    extra_env=aurora_env[0],
                )
                return launch, {"aws": ministack.address(port)}, [port]

            units.append(_Unit("aws", ["aws"], build_aws))
        firebase_services = [
            row.name
            for row in EMULATORS
            if row.process_name == "firebase" and row.name in self.services
        ]
        if firebase_services:
            functions_source = self.functions_source if "functions" in self.services else None

            chosen_firebase_ports: list[firebase_tools.FirebasePorts] = []

            def build_firebase(same_ports: bool) -> tuple[Launch, dict[str, str], list[int]]:
                if not (same_ports and chosen_firebase_ports):
                    chosen_firebase_ports[:] = [
                        firebase_tools.FirebasePorts.choose(functions=functions_source is not None)
                    ]
                ports = chosen_firebase_ports[0]
                launch = firebase_tools.launch(
                    ports,
                    run_dir,
                    project_id=self.project_id,
                    functions_source=functions_source,
                    persist_dir=self._data_dir("firebase"),
                )
                addresses = {"hub": firebase_tools.address(ports.hub)}
                if "auth" in self.services:
                    addresses["auth"] = firebase_tools.address(ports.auth)
                if functions_source is not None and ports.functions:
                    addresses["functions"] = firebase_tools.address(ports.functions)
                used = [p for p in vars(ports).values() if isinstance(p, int)]
                return launch, addresses, used

            units.append(_Unit("firebase", firebase_services, build_firebase))
        if "auth" in self.services:
            units.append(_Unit("issuer", [], self._build_issuer, depends_on=["firebase"]))
        if "firestore" in self.services:

            def build_firestore(same_ports: bool) -> tuple[Launch, dict[str, str], list[int]]:
                port = self._port("firestore", 8080, same_ports)
                data = self._data_dir("firestore")
                launch = firestore.launch(
                    port, run_dir, project_id=self.project_id, persist_dir=data
                )
                return launch, {"firestore": firestore.address(port)}, [port]

            units.append(_Unit("firestore", ["firestore"], build_firestore))
        if "pubsub" in self.services:

            def build_pubsub(same_ports: bool) -> tuple[Launch, dict[str, str], list[int]]:
                port = self._port("pubsub", 8085, same_ports)
                return pubsub.launch(port, run_dir), {"pubsub": pubsub.address(port)}, [port]

            units.append(_Unit("pubsub", ["pubsub"], build_pubsub))
        if "storage" in self.services:
            events = self.storage_events

            def build_storage(same_ports: bool) -> tuple[Launch, dict[str, str], list[int]]:
                port = self._port("storage", 9023, same_ports)
                pubsub_address = self._processes["pubsub"].addresses["pubsub"] if events else None
                launch = storage.launch(
                    port,
                    run_dir,
                    persist_dir=self._data_dir("storage"),
                    events=events,
                    pubsub_address=pubsub_address,
                )
                return launch, {"storage": storage.address(port)}, [port]

            def create_event_topic() -> None:
                if events:
                    address = self._processes["pubsub"].addresses["pubsub"]
                    recreate_event_topic(address, events.project_id, events.topic)

            units.append(
                _Unit(
                    "storage",
                    ["storage"],
                    build_storage,
                    before=create_event_topic,
                    depends_on=["pubsub"] if events else [],
                )
            )
        self._check_tools(units)
        return units

    @property
    def issuer_key_path(self) -> Path:
        """The local issuer's signing key (PEM, 0600), made anew for each start."""
        return self.state_dir / local_issuer.KEY_FILE

    def _build_issuer(self, same_ports: bool) -> tuple[Launch, dict[str, str], list[int]]:
        """The signing issuer for Auth-emulator identities (runs whenever ``auth`` does); a
        restart keeps its key, so the tokens it signed before stay valid."""
        port = self._port("issuer", 9399, same_ports)
        key = self.issuer_key_path
        if not (same_ports and key.exists()):
            local_issuer.SigningKey.generate().write_pem(key)
        auth = self._processes["firebase"].addresses["auth"]
        base = local_issuer.address(port)
        launch = Launch(
            name="issuer",
            argv=[
                sys.executable,
                "-m",
                "hybridstack.emulators.runtime.local_issuer",
                f"--port={port}",
                f"--project={self.project_id}",
                f"--auth={auth}",
                f"--key={key}",
            ],
            ready=lambda: local_issuer.health(base),
            start_timeout=30.0,
        )
        return launch, {"issuer": local_issuer.issuer_url(base, self.project_id)}, [port]

    def _check_tools(self, units: list[_Unit]) -> None:
        """Locate every program now, so a missing one fails before anything starts."""
        processes = {unit.name for unit in units}
        located: set[str] = set()  # Auth and Functions share firebase-tools
        for row in EMULATORS:
            if row.process_name in processes and row.module not in located:
                located.add(row.module)
                row.check_tools()

    def _start_unit(
        self, unit: _Unit, futures: Mapping[str, Future[_Started]], report: Progress
    ) -> _Started:
        for dependency in unit.depends_on:
            while dependency not in futures:
                time.sleep(0.01)
            futures[dependency].result()  # raises when the dependency failed
        for service in unit.services:
            report(service, "starting")
        clock = time.perf_counter()
        try:
            if unit.before:
                unit.before()
            started = self._spawn_with_retry(unit)
        except BaseException:
            for service in unit.services:
                report(service, "failed")
            raise
        started.seconds = time.perf_counter() - clock
        with self._lock:
            self._processes[unit.name] = started
        for service in unit.services:
            self.start_seconds[service] = started.seconds
            report(service, "ready")
        return started

    def _spawn_with_retry(
        self, unit: _Unit, attempts: int = 3, same_ports: bool = False
    ) -> _Started:
        if same_ports:
            attempts = 1  # the address is the point of a restart: no other ports
        for attempt in range(attempts):
            launch, addresses, ports = unit.build(same_ports)
            process = ManagedProcess.spawn(launch, self.state_dir)
            with self._lock:
                pending = _Started(process, addresses, ports, 0.0)
                self._processes[unit.name] = pending  # so stop() reaches it while starting
            try:
                process.wait_ready(
                    launch.ready, launch.start_timeout, cancel=self._cancel, ports=ports
                )
            except EmulatorStartError as error:
                with self._lock:
                    self._processes.pop(unit.name, None)
                process.stop()
                clash = isinstance(error, PortTakenError) or any(
                    marker in error.log_tail.lower() for marker in PORT_CLASH_MARKERS
                )
                if clash and attempt + 1 < attempts:
                    continue  # someone took the port between choosing and binding: new ports
                raise
            return pending
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_state(self) -> None:
        processes = {
            name: ProcessRecord(
                name=name,
                pid=item.process.pid,
                pgid=item.process.pgid,
                log=str(item.process.log_path),
                services=sorted(item.addresses),
                restarts=item.restarts,
            )
            for name, item in self._processes.items()
        }
        write_state(
            self.state_dir,
            new_state(
                project_id=self.project_id,
                services=self.services,
                endpoints=self.endpoints,
                processes=processes,
                storage_event_topic=self.storage_events.topic if self.storage_events else None,
                persist=self.persist,
            ),
        )


def _own_pid() -> int:
    import os

    return os.getpid()
