"""The record of a running local cloud (``<state dir>/state.json``), for other shells.

``hybridstack local up`` writes it once every emulator is ready; ``status``, ``env``, ``logs``,
``reset`` and ``down`` read it from another shell. The state directory is
``$HYBRIDSTACK_STATE_DIR`` or ``.hybridstack/local`` under the current directory.

Example:
    state = read_state(default_state_dir())
    if state and owner_alive(state):
        print(state.endpoints.environment())
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
from pydantic import BaseModel, ValidationError

from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints

STATE_FILE = "state.json"
STATE_DIR_VARIABLE = "HYBRIDSTACK_STATE_DIR"


class ProcessRecord(BaseModel):
    """One emulator process: who it is, where it logs, which services it serves."""

    name: str
    pid: int
    pgid: int
    log: str
    services: list[str]
    restarts: int = 0
    """How often the supervisor restarted it after it died."""


class RunState(BaseModel):
    """What a running local cloud looks like from outside."""

    owner_pid: int
    owner_create_time: float
    project_id: str
    services: list[str]
    endpoints: LocalCloudEndpoints
    processes: dict[str, ProcessRecord]
    storage_event_topic: str | None = None
    started_at: float
    persist: bool = False


def default_state_dir() -> Path:
    """``$HYBRIDSTACK_STATE_DIR`` or ``./.hybridstack/local``."""
    explicit = os.environ.get(STATE_DIR_VARIABLE)
    return Path(explicit).expanduser() if explicit else Path.cwd() / ".hybridstack" / "local"


def process_create_time(pid: int) -> float:
    """When process ``pid`` started (0.0 if it does not exist)."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return 0.0


def read_state(state_dir: Path) -> RunState | None:
    """The recorded run, or None when there is none (or the file is unreadable)."""
    path = state_dir / STATE_FILE
    try:
        return RunState.model_validate_json(path.read_text())
    except (OSError, ValidationError, ValueError):
        return None


def write_state(state_dir: Path, state: RunState) -> None:
    """Record ``state`` atomically."""
    state_dir.mkdir(parents=True, exist_ok=True)
    temporary = state_dir / f".{STATE_FILE}.{os.getpid()}.tmp"
    temporary.write_text(state.model_dump_json(indent=2))
    temporary.replace(state_dir / STATE_FILE)


def clear_state(state_dir: Path) -> None:
    """Forget the recorded run."""
    (state_dir / STATE_FILE).unlink(missing_ok=True)


def owner_alive(state: RunState) -> bool:
    """Whether the process that started the run still runs (same pid, same start time; a zombie,
    exited but not yet collected by its parent, e.g. a script that started ``up``, does not)."""
    try:
        owner = psutil.Process(state.owner_pid)
        created, status = owner.create_time(), owner.status()
    except psutil.Error:
        return False
    return abs(created - state.owner_create_time) < 1.0 and status != psutil.STATUS_ZOMBIE


def new_state(
    *,
    project_id: str,
    services: list[str],
    endpoints: LocalCloudEndpoints,
    processes: dict[str, ProcessRecord],
    storage_event_topic: str | None,
    persist: bool = False,
) -> RunState:
    """A record owned by this process."""
    return RunState(
        owner_pid=os.getpid(),
        owner_create_time=process_create_time(os.getpid()),
        project_id=project_id,
        services=services,
        endpoints=endpoints,
        processes=processes,
        storage_event_topic=storage_event_topic,
        started_at=time.time(),
        persist=persist,
    )


def disk_usage(state_dir: Path) -> int:
    """Bytes the state folder holds (links not followed: the functions codebase's ``venv``)."""
    total = 0
    for root, _folders, files in os.walk(state_dir):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # removed while counting
                continue
    return total


def disk_report(state_dir: Path) -> str:
    """``state folder .hybridstack/local: 1.2 MiB (persisted data 0.8 MiB)``: what a stopped
    run leaves on disk (logs, the functions codebase, deploy state, persisted data)."""
    mib = 1024 * 1024
    data = state_dir / "data"
    kept = f" (persisted data {disk_usage(data) / mib:.1f} MiB)" if data.is_dir() else ""
    return f"state folder {state_dir}: {disk_usage(state_dir) / mib:.1f} MiB{kept}"
