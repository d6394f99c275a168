"""What a deploy's program depended on, so that a redeploy with nothing changed can skip running it.

Running the program under the mocks costs most of a no-change redeploy (Pulumi's registration
machinery is CPU-bound Python). While a full deploy runs, :func:`recording` notes what the
program could depend on:

- the stack's encoded config (stack file, overrides, the cloud's issuer), the cloud's endpoints
  and the Python version;
- the process environment, minus shell bookkeeping (:data:`IGNORED_VARIABLES`);
- every file opened for reading and every folder listed while the deploy ran (Python's audit
  events ``open``, ``os.listdir``, ``os.scandir``), every imported module's file outside the
  standard library (the program, hybridstack, ``services/``, pulumi_aws, ...) and the folder of
  each of those files (a new file beside them), each by size, modification and change time and
  inode; the files the deploy itself writes (its state and outputs) and their folders are left
  out.

:meth:`ProgramInputs.unchanged` tells whether all of that is still the same. A file modified
within :data:`~hybridstack.emulators.deploy.archives.RACY_NANOSECONDS` before the recording is
never trusted: a rewrite within one timestamp tick keeps size and times. Known limit: a file the
program only probes for (``Path.is_file``) in a folder it neither lists nor reads from is not
watched.

Example:
    with recording() as record:
        run_program()
    inputs = record.finish(config=encoded, endpoints=endpoints, exclude={state_path})
    ...
    if inputs.unchanged(config=encoded, endpoints=endpoints):
        ...  # the last deploy's result still holds
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridstack.emulators.deploy.archives import RACY_NANOSECONDS
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints

IGNORED_VARIABLES = frozenset({"_", "OLDPWD", "PWD", "SHLVL", "PS1", "COLUMNS", "LINES"})
"""Variables shells change on their own; no program should depend on them."""
_VOLATILE_ROOTS = ("/proc/", "/sys/", "/dev/")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_STDLIB = tuple(
    str(Path(sysconfig.get_paths()[name]).resolve()) + os.sep for name in ("stdlib", "platstdlib")
)


def _identity(path: str) -> list[int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _environment() -> str:
    return _digest({k: v for k, v in os.environ.items() if k not in IGNORED_VARIABLES})


def _cloud(config: Mapping[str, str], endpoints: LocalCloudEndpoints) -> str:
    cloud = {"config": dict(config), "endpoints": endpoints.model_dump(mode="json")}
    return _digest({**cloud, "python": sys.version})  # the standard library is not watched


@dataclass
class ProgramInputs:
    """The recorded inputs of one full deploy (see the module docstring)."""

    cloud: str
    environment: str
    files: dict[str, list[int] | None]
    recorded_at: int

    def unchanged(self, *, config: Mapping[str, str], endpoints: LocalCloudEndpoints) -> bool:
        """Whether config, endpoints, environment and every recorded file are as recorded."""
        return self.first_change(config=config, endpoints=endpoints) is None

    def first_change(
        self, *, config: Mapping[str, str], endpoints: LocalCloudEndpoints
    ) -> str | None:
        """What differs from the recording (the first thing found), or None."""
        if self.cloud != _cloud(config, endpoints):
            return "the stack config or the cloud's endpoints changed"
        if self.environment != _environment():
            return "the environment changed"
        trusted_before = self.recorded_at - RACY_NANOSECONDS
        for path, recorded in self.files.items():
            if _identity(path) != recorded:
                return f"{path} changed"
            if recorded is not None and recorded[1] >= trusted_before:
                return f"{path} was modified just before the last deploy"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud,
            "environment": self.environment,
            "files": self.files,
            "recorded_at": self.recorded_at,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any] | None) -> ProgramInputs | None:
        if not document:
            return None
        try:
            return cls(
                cloud=str(document["cloud"]),
                environment=str(document["environment"]),
                files=dict(document["files"]),
                recorded_at=int(document["recorded_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class _Recorder:
    started_at: int
    paths: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finish(
        self,
        *,
        config: Mapping[str, str],
        endpoints: LocalCloudEndpoints,
        exclude: set[Path] = frozenset(),  # type: ignore[assignment]
    ) -> ProgramInputs:
        """The inputs seen since :func:`recording` began (``exclude``: files the deploy writes;
        their folders are left out too, as those writes change them)."""
        with self.lock:
            paths = set(self.paths)
        for module in list(sys.modules.values()):
            file = getattr(module, "__file__", None)
            if file:
                paths.add(str(file))
        resolved = {os.path.abspath(p) for p in paths}
        resolved = {
            p for p in resolved if not p.startswith(_VOLATILE_ROOTS) and not p.startswith(_STDLIB)
        }
        resolved |= {os.path.dirname(p) for p in resolved if not os.path.isdir(p)}
        skipped = {str(p.resolve()) for p in exclude} | {os.path.abspath(p) for p in exclude}
        skipped |= {os.path.dirname(p) for p in skipped}
        return ProgramInputs(
            cloud=_cloud(config, endpoints),
            environment=_environment(),
            files={p: _identity(p) for p in sorted(resolved - skipped)},
            recorded_at=self.started_at,
        )


_active: list[_Recorder] = []
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _active:
        return
    if event == "open":
        path, mode, flags = args
        if mode is not None:
            if any(c in str(mode) for c in "wax+"):
                return
        elif isinstance(flags, int) and flags & _WRITE_FLAGS:
            return
    elif event not in ("os.listdir", "os.scandir"):
        return
    else:
        path = args[0]
    if isinstance(path, int) or path is None:
        return  # a file descriptor: its file was opened (and seen) before
    name = os.fsdecode(path) if isinstance(path, bytes | os.PathLike) else str(path)
    for recorder in _active:
        with recorder.lock:
            recorder.paths.add(name)


@contextmanager
def recording() -> Iterator[_Recorder]:
    """Note what the code run inside reads (process-wide: audit hooks see every thread)."""
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # audit hooks cannot be removed: idle outside recording()
        _hook_installed = True
    recorder = _Recorder(started_at=time.time_ns())
    _active.append(recorder)
    try:
        yield recorder
    finally:
        _active.remove(recorder)
