"""The Functions emulator (firebase-tools, python311) serves the codebase given to LocalCloud."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
import requests

from hybridstack.emulators.runtime import tools
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.process import EmulatorStartError

FIREBASE_FUNCTIONS = "firebase-functions==0.6.0"


@pytest.fixture(scope="module")
def functions_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with firebase-functions, as `firebase deploy` expects in `venv/`."""
    venv = tmp_path_factory.mktemp("functions") / "venv"
    uv = tools.tools_dir() / "uv" / "bin" / "uv"
    subprocess.run([str(uv), "venv", "-q", "--python", "python3.11", str(venv)], check=True)
    subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            FIREBASE_FUNCTIONS,
        ],
        check=True,
    )
    return venv


def codebase(root: Path, venv: Path, main: str) -> Path:
    root.mkdir()
    (root / "main.py").write_text(textwrap.dedent(main))
    (root / "requirements.txt").write_text(FIREBASE_FUNCTIONS + "\n")
    (root / "venv").symlink_to(venv)
    return root


def test_an_http_function_answers_through_the_emulator(
    tmp_path: Path, functions_venv: Path
) -> None:
    source = codebase(
        tmp_path / "functions",
        functions_venv,
        """
        from firebase_functions import https_fn

        @https_fn.on_request()
        def hello(req: https_fn.Request) -> https_fn.Response:
            return https_fn.Response(f"hello {req.args.get('name', 'world')}")
        """,
    )
    with LocalCloud(
        services=["auth"], functions_source=source, state_dir=tmp_path / "state"
    ) as cloud:
        assert cloud.services == ["auth", "functions"]
        endpoints = cloud.endpoints
        assert endpoints.functions is not None
        assert endpoints.environment()["FUNCTIONS_EMULATOR_HOST"] == endpoints.functions
        url = f"http://{endpoints.functions}/{endpoints.project_id}/us-central1/hello"
        response = requests.get(url, params={"name": "local"}, timeout=60)
        assert response.status_code == 200
        assert response.text == "hello local"
        assert cloud.health() == {"auth": True, "functions": True}


def test_a_codebase_that_does_not_load_fails_the_start_with_the_reason(
    tmp_path: Path, functions_venv: Path
) -> None:
    source = codebase(tmp_path / "broken", functions_venv, "import not_a_module_anywhere\n")
    cloud = LocalCloud(services=["auth"], functions_source=source, state_dir=tmp_path / "state")
    with pytest.raises(EmulatorStartError, match="could not load the functions") as caught:
        cloud.start()
    assert "not_a_module_anywhere" in str(caught.value)
    assert not cloud.running
