"""``hybridstack up --watch`` / ``hybridstack dev``: a saved edit of the project's sources starts
one redeploy naming it; state, caches and tools never do.

The watcher is the real one (inotify through watchfiles) on a temporary project; the redeploy
itself is ``hybridstack deploy --changes-only``, exercised against the deployed stack in
``tests/system/test_redeploy_changes.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridstack.emulators.devtools.dev_loop import DevLoop, is_source, watched_paths

SETTLE_SECONDS = 60.0  # how long a test waits for the watcher at most (not a figure it asserts)


def _project(root: Path) -> Path:
    for folder in ("services/identity", ".hybridstack/local", ".venv/lib", "components"):
        (root / folder).mkdir(parents=True)
    (root / "__main__.py").write_text("import hybridstack\n")
    (root / "services/identity/api.py").write_text("VERSION = 1\n")
    return root


def test_sources_are_the_program_and_the_services_not_state_caches_or_tools(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)

    assert is_source(str(project / "services/identity/api.py"), project)
    assert is_source(str(project / "__main__.py"), project)
    assert is_source(str(project / "Pulumi.local.yaml"), project)
    assert not is_source(str(project / ".hybridstack/local/functions/.env.local"), project)
    assert not is_source(
        str(project / "services/identity/__pycache__/api.cpython-311.pyc"), project
    )
    assert not is_source(str(project / ".venv/lib/site.py"), project)
    assert not is_source(str(project / "services/identity/api.py~"), project)
    assert not is_source("/elsewhere/api.py", project)
    assert [path.name for path in watched_paths(project)] == [
        "__main__.py",
        "components",
        "services",
    ]


class RecordingLoop(DevLoop):
    """The real watcher; each redeploy only recorded."""

    def __init__(self, project: Path) -> None:
        super().__init__(project, project / ".hybridstack/local", report=lambda line: None)
        self.batches: list[list[str]] = []
        self.redeployed = threading.Event()

    def redeploy(self, changed: list[str]) -> bool:
        self.batches.append([str(Path(path).relative_to(self.project_dir)) for path in changed])
        self.redeployed.set()
        return True


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[RecordingLoop]:
    watching = RecordingLoop(_project(tmp_path))
    watching.start()
    yield watching
    watching.stop()


def _until_watching(loop: RecordingLoop, probe: Path) -> None:
    """The watcher starts in its thread: write a probe until it is seen (then forget it)."""
    for attempt in range(int(SETTLE_SECONDS / 0.5)):
        probe.write_text(f"# probe {attempt}\n")
        if loop.redeployed.wait(0.5):
            break
    assert loop.redeployed.is_set(), "the watcher never saw an edit"
    loop.redeployed.wait(0.5)  # let a trailing batch of probe writes arrive
    loop.batches.clear()
    loop.redeployed.clear()


def test_a_saved_edit_of_a_service_redeploys_once_naming_the_file(loop: RecordingLoop) -> None:
    _until_watching(loop, loop.project_dir / "components" / "probe.py")

    (loop.project_dir / "services/identity/api.py").write_text("VERSION = 2\n")

    assert loop.redeployed.wait(SETTLE_SECONDS)
    assert loop.batches == [["services/identity/api.py"]]


def test_state_and_caches_written_while_running_start_no_redeploy(loop: RecordingLoop) -> None:
    _until_watching(loop, loop.project_dir / "components" / "probe.py")

    (loop.project_dir / ".hybridstack/local/functions").mkdir()
    (loop.project_dir / ".hybridstack/local/functions/.env.local").write_text("A=1\n")
    cache = loop.project_dir / "services/identity/__pycache__"
    cache.mkdir()
    (cache / "api.cpython-311.pyc").write_bytes(b"\0")
    (loop.project_dir / "services/identity/api.py").write_text("VERSION = 3\n")  # a marker edit

    assert loop.redeployed.wait(SETTLE_SECONDS)
    assert loop.batches == [["services/identity/api.py"]]  # the marker alone, nothing before it
