"""The import-from-another-project journey: examples/external-project installs hybridstack into
a fresh virtual environment (as a built wheel, from this repository's path, with uv and its
cache), and its own test suite passes there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "examples" / "external-project"


def _uv() -> str:
    candidate = ROOT / ".tools" / "uv" / "bin" / "uv"
    found = str(candidate) if candidate.is_file() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is missing: run scripts/setup (it installs .tools/uv)")
    return found


def _sync(env: dict[str, str], *, offline: bool) -> subprocess.CompletedProcess[str]:
    command = [_uv(), "sync", "--no-progress", "--python", sys.executable]
    command += ["--reinstall-package", "hybridstack"]  # always this checkout's code
    if offline:
        command.append("--offline")
    return subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.external_project
def test_external_project_installs_hybridstack_and_passes_its_own_tests(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))},
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    synced = _sync(env, offline=True)
    if synced.returncode != 0:  # the cache lacks something: let uv fetch it
        synced = _sync(env, offline=False)
    assert synced.returncode == 0, synced.stderr

    python = venv / "bin" / "python"
    located = subprocess.run(
        [str(python), "-c", "import hybridstack; print(hybridstack.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    installed = Path(located.stdout.strip())
    assert installed.is_relative_to(venv), f"hybridstack came from {installed}, not the venv"

    tests = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:warnings"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout
