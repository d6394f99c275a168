"""Hot reload: ``hybridstack up --watch`` (or ``hybridstack dev``) redeploys what an edit changes.

A watcher thread follows the project folder (``watchfiles``: inotify, batched and debounced) and,
for each batch of saved files, runs ``hybridstack deploy --changes-only`` into the running local
cloud in a fresh process, so an edit of the program or a component is read anew, exactly as a
second ``hybridstack deploy`` would. The deploy engine updates only what the edit changed
(Lambda code, configuration, Firestore rules, ...) and reloads the Firebase functions codebase
when ``services/`` changed; the lines it prints say what was updated. A failing edit (a syntax
error, a bad config) prints the deploy's error and the loop waits for the next save.

Example:
    loop = DevLoop(Path("."), state_dir, report=print)
    loop.start()        # ... edit services/identity/api.py, save:
                        # "services/identity/api.py changed: redeploying"
                        # "  updated aws:lambda/function:Function identity-api (0.2 s)"
    loop.stop()
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import watchfiles

IGNORED_FOLDERS = frozenset(
    {
        ".git",
        ".hybridstack",
        ".venv",
        ".tools",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "__pycache__",
        "node_modules",
        "build",
        "dist",
    }
)
"""Folders whose files are never the program's or the services' sources (state, tools, caches)."""
IGNORED_SUFFIXES = (".pyc", ".swp", ".swx", "~", ".tmp", ".log")
DEBOUNCE_MS = 150
"""How long the watcher waits for an editor's burst of writes to end before redeploying."""


def is_source(path: str, project_dir: Path) -> bool:
    """Whether a changed ``path`` can change what the stack deploys (not state, caches, logs)."""
    try:
        parts = Path(path).relative_to(project_dir).parts
    except ValueError:
        return False
    return bool(parts) and not (
        any(part in IGNORED_FOLDERS for part in parts) or parts[-1].endswith(IGNORED_SUFFIXES)
    )


def watched_paths(project_dir: Path) -> list[Path]:
    """The project's top-level files and folders but the ignored ones: the watcher never walks
    into ``.venv``, ``.tools`` or ``node_modules`` (tens of thousands of folders)."""
    return sorted(
        child
        for child in project_dir.iterdir()
        if child.name not in IGNORED_FOLDERS and not child.name.endswith(IGNORED_SUFFIXES)
    )


class DevLoop:
    """Redeploys into the local cloud of ``state_dir`` whenever a source of ``project_dir`` is
    saved; ``report`` receives each line to show."""

    def __init__(
        self,
        project_dir: Path,
        state_dir: Path,
        *,
        report: Callable[[str], None],
        stack: str = "local",
        config: Iterable[str] = (),
    ) -> None:
        self.project_dir = project_dir.resolve()
        self.state_dir = state_dir
        self.report = report
        self.stack = stack
        self.config = list(config)
        self.redeploys = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hybridstack-dev-loop", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        changes = watchfiles.watch(
            *watched_paths(self.project_dir),
            watch_filter=lambda _change, path: is_source(path, self.project_dir),
            debounce=DEBOUNCE_MS,
            step=20,
            stop_event=self._stop,
            yield_on_timeout=False,
            raise_interrupt=False,
        )
        for batch in changes:
            if self._stop.is_set():
                return
            self.redeploy(sorted({path for _change, path in batch}))

    def redeploy(self, changed: list[str]) -> bool:
        """Deploy once for ``changed`` files (paths); True when the deploy succeeded."""
        names = [str(Path(path).relative_to(self.project_dir)) for path in changed]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        self.report(f"{shown} changed: redeploying")
        started = time.perf_counter()
        command = [
            sys.executable,
            "-m",
            "hybridstack",
            "deploy",
            "--changes-only",
            "--project-dir",
            str(self.project_dir),
            "--stack",
            self.stack,
            "--state-dir",
            str(self.state_dir),
            *(argument for value in self.config for argument in ("--config", value)),
        ]
        finished = subprocess.run(
            command, cwd=self.project_dir, capture_output=True, text=True, check=False
        )
        for line in (finished.stdout + finished.stderr).splitlines():
            if line.strip():
                self.report(f"  {line.rstrip()}")
        self.redeploys += 1
        verdict = "redeployed" if finished.returncode == 0 else "redeploy FAILED"
        self.report(f"{verdict} in {time.perf_counter() - started:.1f} s")
        return finished.returncode == 0
