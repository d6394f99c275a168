"""One emulator as an operating-system process: started in its own process group, logging to a
file, recorded in a pid file, ready only when a real request works, stopped with nothing left.

The pid file (JSON: pid, process group, start time, command line, log) lets another shell or the
next run stop a process group whose owner was killed: :func:`reap_stale` stops whatever the
records of a run directory still describe, after checking that each pid is still the same process
(its start time), so a recycled pid is never signalled.

Example:
    launch = Launch(name="pubsub", argv=["java", "-jar", jar, "--port=8085"],
                    ready=lambda: pubsub.health("127.0.0.1:8085"))
    proc = ManagedProcess.spawn(launch, run_dir=Path(".hybridstack/local"))
    proc.wait_ready(timeout=30)      # EmulatorStartError with the log's last lines if it dies
    proc.stop()                      # SIGTERM to the group, SIGKILL after a grace period
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

PID_SUFFIX = ".pid.json"
LOG_SUFFIX = ".log"
DEFAULT_GRACE_SECONDS = 5.0


class EmulatorStartError(RuntimeError):
    """An emulator exited or never became ready; the message ends with the last lines of its log."""

    def __init__(self, name: str, reason: str, log_path: Path | None) -> None:
        self.name = name
        self.log_path = log_path
        self.log_tail = log_tail(log_path) if log_path else ""
        message = f"{name} emulator {reason}"
        if log_path:
            message += f"\n--- last lines of {log_path} ---\n{self.log_tail}"
        super().__init__(message)


class PortTakenError(EmulatorStartError):
    """Something answered on the emulator's port, but the listener is another process."""


class StartCancelledError(EmulatorStartError):
    """The start was called off (Ctrl-C, or another emulator failed to start)."""


@dataclass(frozen=True)
class Launch:
    """How to run one emulator: its command, extra environment, and a real readiness request."""

    name: str
    argv: Sequence[str]
    ready: Callable[[], bool]
    env: Mapping[str, str] = field(default_factory=dict)
    env_remove_prefixes: Sequence[str] = ()  # inherited variables starting so are dropped
    cwd: Path | None = None
    start_timeout: float = 90.0


def log_tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ("" when there is none)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class ManagedProcess:
    """A started emulator process group; see the module docstring."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log_path: Path, pid_path: Path):
        self.name = name
        self.popen = popen
        self.log_path = log_path
        self.pid_path = pid_path
        self.pid = popen.pid
        self.pgid = popen.pid  # start_new_session: the child leads its own group

    @classmethod
    def spawn(cls, launch: Launch, run_dir: Path) -> ManagedProcess:
        """Start ``launch`` in a new session (own process group); stdout+stderr go to its log."""
        run_dir.mkdir(parents=True, exist_ok=True)
        log_path = run_dir / f"{launch.name}{LOG_SUFFIX}"
        pid_path = run_dir / f"{launch.name}{PID_SUFFIX}"
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(tuple(launch.env_remove_prefixes))
        }
        env = {**inherited, **launch.env}
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                list(launch.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=launch.cwd,
                env=env,
                start_new_session=True,
            )
        proc = cls(launch.name, popen, log_path, pid_path)
        proc._write_pid_file(list(launch.argv))
        return proc

    def _write_pid_file(self, argv: list[str]) -> None:
        try:
            created = psutil.Process(self.pid).create_time()
        except psutil.Error:
            created = 0.0
        record = {
            "name": self.name,
            "pid": self.pid,
            "pgid": self.pgid,
            "create_time": created,
            "argv": argv,
            "log": str(self.log_path),
        }
        self.pid_path.write_text(json.dumps(record, indent=2))

    def running(self) -> bool:
        """Whether the main process is still alive."""
        return self.popen.poll() is None

    def wait_ready(
        self,
        ready: Callable[[], bool],
        timeout: float,
        interval: float = 0.05,
        cancel: threading.Event | None = None,
        ports: Sequence[int] = (),
    ) -> float:
        """Poll ``ready`` until it returns True; seconds waited. Raises if the process exits,
        if it is not ready after ``timeout`` seconds, or once ``cancel`` is set.

        A readiness request can be answered by ANOTHER process that grabbed one of ``ports``
        between choosing and binding (another local cloud starting at the same moment); that
        raises :class:`PortTakenError` instead of reporting someone else's emulator as ready.
        """
        started = time.monotonic()
        deadline = started + timeout
        while True:
            if cancel is not None and cancel.is_set():
                self.stop()
                raise StartCancelledError(self.name, "start was cancelled", None)
            code = self.popen.poll()
            if code is not None:
                raise EmulatorStartError(
                    self.name, f"exited with code {code} while starting", self.log_path
                )
            try:
                if ready():
                    self._check_listeners_are_ours(ports)
                    return time.monotonic() - started
            except EmulatorStartError:
                self.stop()
                raise
            except Exception:  # not ready yet: connection refused, 5xx, ...
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise EmulatorStartError(
                    self.name, f"was not ready after {timeout:.0f} s", self.log_path
                )
            time.sleep(interval)

    def _check_listeners_are_ours(self, ports: Sequence[int]) -> None:
        if not ports:
            return
        ours = set(group_pids(self.pgid))
        for conn in psutil.net_connections("tcp"):
            port = conn.laddr.port if conn.laddr else None
            if conn.status != psutil.CONN_LISTEN or port not in ports or conn.pid is None:
                continue
            if conn.pid not in ours:
                self.stop()
                raise PortTakenError(
                    self.name,
                    f"port {port} is held by another process (pid {conn.pid}), not this emulator",
                    self.log_path,
                )

    def stop(self, grace: float = DEFAULT_GRACE_SECONDS) -> None:
        """SIGTERM the process group, SIGKILL what is left after ``grace``; drop the pid file."""
        stop_group(self.pgid, grace=grace, leader=self.popen)
        self.pid_path.unlink(missing_ok=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # killpg(…, 0) also succeeds for zombies: only count members that still run.
    for proc in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error, OSError):
            continue
    return False


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_group(
    pgid: int,
    grace: float = DEFAULT_GRACE_SECONDS,
    leader: subprocess.Popen[bytes] | None = None,
) -> None:
    """Stop every process of group ``pgid``: SIGTERM, wait up to ``grace`` s, then SIGKILL."""
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if leader is not None:
            leader.poll()  # reap our own child so it does not linger as a zombie
        if not _group_alive(pgid):
            break
        time.sleep(0.05)
    else:
        _signal_group(pgid, signal.SIGKILL)
        kill_deadline = time.monotonic() + 5
        while _group_alive(pgid) and time.monotonic() < kill_deadline:
            if leader is not None:
                leader.poll()
            time.sleep(0.05)
    if leader is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            leader.wait(timeout=5)


def recorded_process_alive(record: Mapping[str, object]) -> bool:
    """Whether the process a pid-file record names still runs (same pid AND start time)."""
    pid = record.get("pid")
    if not isinstance(pid, int):
        return False
    try:
        proc = psutil.Process(pid)
        created = proc.create_time()
    except psutil.Error:
        return False
    recorded = record.get("create_time")
    return isinstance(recorded, float) and abs(created - recorded) < 1.0


def read_pid_files(run_dir: Path) -> list[dict[str, object]]:
    """The pid-file records in ``run_dir`` (unreadable ones are skipped)."""
    records = []
    for path in sorted(run_dir.glob(f"*{PID_SUFFIX}")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):
            record["pid_file"] = str(path)
            records.append(record)
    return records


def reap_stale(run_dir: Path, grace: float = DEFAULT_GRACE_SECONDS) -> list[str]:
    """Stop the process groups a previous (killed) run left behind; names of those stopped."""
    stopped = []
    for record in read_pid_files(run_dir):
        pgid = record.get("pgid")
        if recorded_process_alive(record) and isinstance(pgid, int):
            stop_group(pgid, grace=grace)
            stopped.append(str(record.get("name")))
        elif isinstance(pgid, int) and _group_alive(pgid) and _group_is_ours(pgid, record):
            # The leader died but members of its group (workers) still run.
            stop_group(pgid, grace=grace)
            stopped.append(str(record.get("name")))
        Path(str(record["pid_file"])).unlink(missing_ok=True)
    return stopped


def _group_is_ours(pgid: int, record: Mapping[str, object]) -> bool:
    """Members of ``pgid`` started after the recorded leader: the group was not recycled."""
    recorded = record.get("create_time")
    if not isinstance(recorded, float):
        return False
    for proc in psutil.process_iter(["pid", "create_time"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["create_time"] >= recorded - 1.0:
                return True
        except (ProcessLookupError, OSError, psutil.Error):
            continue
    return False


def port_listeners(port: int) -> list[int | None]:
    """Pids of the processes listening on TCP ``port`` (None where the pid is not visible);
    unlike a test bind, connections of a dead listener (TIME_WAIT) do not count."""
    return [
        conn.pid
        for conn in psutil.net_connections("tcp")
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port
    ]


def group_pids(pgid: int) -> list[int]:
    """Pids of the live (non-zombie) members of process group ``pgid``."""
    pids = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                pids.append(proc.pid)
        except (ProcessLookupError, OSError, psutil.Error):
            continue
    return pids
