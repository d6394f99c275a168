"""The import-from-another-project journey: examples/external-project, with hybridstack installed
from a BUILT WHEEL (``local`` extra) into a virtual environment of its own, passes its own unit
tests, runs ``hybridstack up`` in its own folder (its own Pulumi.yaml and stack file), and its
own tests against what that deployed pass: a job sent to the deployed queue is processed by the
deployed worker Lambda. Every process the journey starts is stopped, even on failure."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.repository import REPOSITORY

PROJECT = REPOSITORY / "examples" / "external-project"
WAIT_SECONDS = 300.0  # start + deploy on a busy 2-core machine: a hang guard


def _uv() -> str:
    candidate = REPOSITORY / ".tools" / "uv" / "bin" / "uv"
    found = str(candidate) if candidate.is_file() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is missing: run scripts/setup (it installs .tools/uv)")
    return found


def _run(command: list[str], **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=900, check=False, **options
    )


def _environment(venv: Path) -> dict[str, str]:
    """A shell of the external project: its venv, the checkout's tools, no other local cloud."""
    pointing = ("_EMULATOR_HOST", "_EMULATOR_HUB", "AWS_ENDPOINT_URL", "HYBRIDSTACK_")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "PYTHON")) and not any(p in k for p in pointing)
    }
    return {
        **env,
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "UV_PYTHON_DOWNLOADS": "never",
        "HYBRIDSTACK_TOOLS_DIR": str(REPOSITORY / ".tools"),
        "COLUMNS": "250",
    }


def _install(venv: Path, wheel: Path, env: dict[str, str]) -> None:
    created = _run([_uv(), "venv", "--python", sys.executable, str(venv)], env=env)
    assert created.returncode == 0, created.stderr
    install = [_uv(), "pip", "install", "--python", str(venv / "bin" / "python")]
    install += [f"hybridstack[local] @ {wheel.as_uri()}", "pytest>=8"]
    installed = _run([*install, "--offline"], env=env)
    if installed.returncode != 0:  # the cache lacks something: let uv fetch it
        installed = _run(install, env=env)
    assert installed.returncode == 0, installed.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The external project copied to a folder of its own, with a venv holding the wheel."""
    root = tmp_path_factory.mktemp("external")
    built = _run([_uv(), "build", "--wheel", "--out-dir", str(root / "dist")], cwd=REPOSITORY)
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("hybridstack-*.whl")
    project = root / "acme-jobs"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns(".venv", ".hybridstack"))
    venv = root / "venv"
    env = _environment(venv)
    _install(venv, wheel, env)
    return project, env


def _pytest(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    python = Path(env["VIRTUAL_ENV"]) / "bin" / "python"
    return _run(
        [str(python), "-m", "pytest", "-q", "-p", "no:warnings", *args], cwd=project, env=env
    )


@pytest.mark.external_project
def test_hybridstack_comes_from_the_wheel_and_the_unit_tests_pass(installed) -> None:
    project, env = installed
    python = Path(env["VIRTUAL_ENV"]) / "bin" / "python"
    which = "import hybridstack; print(hybridstack.__file__)"
    located = _run([str(python), "-c", which], cwd=project, env=env)
    location = Path(located.stdout.strip())
    assert location.is_relative_to(Path(env["VIRTUAL_ENV"])), f"hybridstack from {location}"

    tests = _pytest(project, env)

    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout


class _Up:
    """``hybridstack up`` running in the project's folder, its output read line by line."""

    def __init__(self, project: Path, env: dict[str, str]) -> None:
        self.project, self.env = project, env
        command = [str(Path(env["VIRTUAL_ENV"]) / "bin" / "hybridstack"), "up"]
        self.process = subprocess.Popen(
            [*command, "--services", "aws"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while text not in "".join(self.seen):
            assert self.process.poll() is None or not self.lines.empty(), "".join(self.seen)
            assert time.monotonic() < deadline, "".join(self.seen)
            try:
                self.seen.append(self.lines.get(timeout=1.0))
            except queue.Empty:
                continue
        return "".join(self.seen)

    def stop(self) -> None:
        """Ctrl-C; if it does not end, ``hybridstack local down`` and kill it by its pid."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        down = [str(Path(self.env["VIRTUAL_ENV"]) / "bin" / "hybridstack"), "local", "down"]
        _run(down, cwd=self.project, env=self.env)


@pytest.fixture
def up(installed) -> Iterator[_Up]:
    project, env = installed
    running = _Up(project, env)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.external_project
def test_up_deploys_the_project_and_its_own_tests_pass_against_it(up: _Up) -> None:
    output = up.wait_for("local down to stop")

    assert "deployed stack local" in output, output
    assert "jobsQueueUrl" in output
    assert "no smoke journey" in output  # the reference platform's journey does not apply
    tests = _pytest(up.project, up.env, "-m", "deployed")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "1 passed" in tests.stdout
