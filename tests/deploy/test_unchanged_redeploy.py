"""A redeploy with nothing changed returns the last result without running the program; a change
of the service code, the stack config, the program or a new file in the code is still deployed.

Each test deploys a small project (its own ``Pulumi.yaml``, ``Pulumi.local.yaml`` and
``__main__.py``, the default program a user has, which counts its runs in a file) whose files were
last modified a minute ago, then edits one thing and deploys again.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import pytest

from hybridstack.emulators.deploy import deploy_local_stack

pytestmark = pytest.mark.emulators("aws")

FUNCTION = "aws:lambda/function:Function"
PROGRAM = """
import pulumi

with open({runs!r}, "a") as runs:
    runs.write("run\\n")

from hybridstack.components.function import Function

config = pulumi.Config()
function = Function(
    "probe",
    {{
        "handler": "probe_app.handler.handle",
        "code_root": {code_root!r},
        "include": ["probe_app"],
        "layer": False,
        "dead_letter": False,
        "timeout": {timeout},
        "environment": {{"GREETING": config.require("greeting")}},
    }},
)
pulumi.export("functionName", function.function_name)
"""
HANDLER = """
import os

VERSION = {version}


def handle(event, context):
    from probe_app import extra  # noqa: F401 (present only once the test adds it)

    return {{"version": VERSION, "greeting": os.environ["GREETING"]}}
"""


def _project(root: Path, *, version: int = 1, greeting: str = "hello", timeout: int = 10) -> Path:
    """Write (or rewrite) the project: code under root/code, the program and stack files."""
    (root / "runs").mkdir(parents=True, exist_ok=True)
    (root / "runs" / "count").touch()
    package = root / "code" / "probe_app"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(HANDLER.format(version=version))
    if not (package / "extra.py").exists():
        (package / "extra.py").write_text("")
    (root / "Pulumi.yaml").write_text("name: probe\nruntime: python\n")
    (root / "Pulumi.local.yaml").write_text(f"config:\n  probe:greeting: {greeting}\n")
    program = PROGRAM.format(
        code_root=str(root / "code"), timeout=timeout, runs=str(root / "runs" / "count")
    )
    (root / "__main__.py").write_text(program)
    return root


def _age(root: Path, seconds: float = 60.0) -> None:
    """Date every file and folder of the project back, as if written a while ago."""
    past = time.time() - seconds
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past))


def _program_runs(root: Path) -> int:
    return len((root / "runs" / "count").read_text().splitlines())


def _deploy(cloud, root: Path):
    return deploy_local_stack(cloud, project_dir=root, state_path=root / "deploy.json")


def _invoke(lambda_client, result) -> dict:
    answer = lambda_client.invoke(FunctionName=result.outputs["functionName"], Payload=b"{}")
    assert "FunctionError" not in answer, answer["Payload"].read()
    return json.loads(answer["Payload"].read())


def _changed(result) -> set[tuple[str, str]]:
    return {(a.type, a.name) for a in result.actions if a.status in ("created", "updated")}


def test_an_unchanged_redeploy_creates_and_updates_nothing(cloud, tmp_path, lambda_client, caplog):
    caplog.set_level(logging.INFO, logger="hybridstack.emulators.deploy.engine")
    root = _project(tmp_path)
    _age(root)
    first = _deploy(cloud, root)
    name = first.outputs["functionName"]
    modified = lambda_client.get_function_configuration(FunctionName=name)["LastModified"]

    again = _deploy(cloud, root)

    assert _program_runs(root) == 1, caplog.text  # the last result held: no second run
    assert again.count("created") == again.count("updated") == 0
    assert again.count("unchanged") == first.count("created") > 0
    assert again.outputs == first.outputs
    assert {(r.type, r.name) for r in again.resources} == {
        (r.type, r.name) for r in first.resources
    }
    assert lambda_client.get_function_configuration(FunctionName=name)["LastModified"] == modified
    assert _invoke(lambda_client, again) == {"version": 1, "greeting": "hello"}


def test_a_service_code_edit_is_deployed(cloud, tmp_path, lambda_client):
    root = _project(tmp_path)
    _age(root)
    _deploy(cloud, root)
    handler = root / "code" / "probe_app" / "handler.py"
    written = handler.stat()

    handler.write_text(HANDLER.format(version=2))  # same size; the old modification time put back
    os.utime(handler, ns=(written.st_atime_ns, written.st_mtime_ns))
    again = _deploy(cloud, root)

    assert _program_runs(root) == 2
    assert _changed(again) == {(FUNCTION, "probe")}
    assert _invoke(lambda_client, again) == {"version": 2, "greeting": "hello"}


def test_a_new_file_in_the_code_is_deployed(cloud, tmp_path, lambda_client):
    root = _project(tmp_path)
    (root / "code" / "probe_app" / "extra.py").unlink()
    _age(root)
    first = _deploy(cloud, root)
    failed = lambda_client.invoke(FunctionName=first.outputs["functionName"], Payload=b"{}")
    assert "FunctionError" in failed  # probe_app.extra is not shipped yet

    (root / "code" / "probe_app" / "extra.py").write_text("")
    again = _deploy(cloud, root)

    assert _changed(again) == {(FUNCTION, "probe")}
    assert _invoke(lambda_client, again) == {"version": 1, "greeting": "hello"}


def test_a_stack_config_edit_is_deployed(cloud, tmp_path, lambda_client):
    root = _project(tmp_path)
    _age(root)
    _deploy(cloud, root)

    _project(root, greeting="howdy")
    again = _deploy(cloud, root)

    assert _changed(again) == {(FUNCTION, "probe")}
    assert _invoke(lambda_client, again) == {"version": 1, "greeting": "howdy"}


def test_a_program_edit_is_deployed(cloud, tmp_path, lambda_client):
    root = _project(tmp_path)
    _age(root)
    first = _deploy(cloud, root)

    _project(root, timeout=20)
    again = _deploy(cloud, root)

    assert _changed(again) == {(FUNCTION, "probe")}
    name = first.outputs["functionName"]
    assert lambda_client.get_function_configuration(FunctionName=name)["Timeout"] == 20


def test_another_project_deployed_with_the_same_state_runs_its_own_program(cloud, tmp_path):
    first, second = _project(tmp_path / "first"), _project(tmp_path / "second", timeout=20)
    _age(tmp_path)
    state = tmp_path / "deploy.json"
    deploy_local_stack(cloud, project_dir=first, state_path=state)

    again = deploy_local_stack(cloud, project_dir=second, state_path=state)

    assert _program_runs(second) == 1
    assert _changed(again) == {(FUNCTION, "probe")}
