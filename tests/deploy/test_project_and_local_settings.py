"""The engine reads a project as ``pulumi up`` does (name, ``main``, the stack file), and a
program learns the local cloud's settings through ``local_settings()`` only when deployed there."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridstack.emulators.deploy.engine import local_settings_of
from hybridstack.emulators.deploy.project import ProjectError, PulumiProject
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.local_settings import LocalSettings, config_values, local_settings
from hybridstack.recording import run_under_mocks


def test_main_names_the_program_folder_and_bare_keys_take_the_project_name(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: acme\nruntime: python\nmain: infra/\n")
    (tmp_path / "Pulumi.local.yaml").write_text("config:\n  env: local\n  aws:region: eu-west-1\n")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "__main__.py").write_text("")

    project = PulumiProject.load(tmp_path)

    assert project.name == "acme"
    assert project.program == (tmp_path / "infra" / "__main__.py").resolve()
    assert project.stack_config("local") == {"acme:env": "local", "aws:region": "eu-west-1"}
    assert project.stack_config("prod") == {}


def test_a_folder_without_pulumi_yaml_is_named(tmp_path: Path):
    with pytest.raises(ProjectError, match=f"no Pulumi.yaml in {tmp_path}"):
        PulumiProject.load(tmp_path)


def _seen_by_a_program(config: dict[str, str]) -> list[LocalSettings | None]:
    seen: list[LocalSettings | None] = []
    run_under_mocks(lambda: seen.append(local_settings()), project="acme", config=config)
    return seen


def test_a_program_sees_the_local_clouds_settings_only_when_deployed_there():
    endpoints = LocalCloudEndpoints(
        project_id="demo-acme", aws="http://127.0.0.1:4566", issuer="http://127.0.0.1:9399/x"
    )

    (local,) = _seen_by_a_program(config_values(local_settings_of(endpoints)))
    (elsewhere,) = _seen_by_a_program({})

    assert local is not None
    assert (local.project, local.issuer) == ("demo-acme", "http://127.0.0.1:9399/x")
    assert dict(local.endpoints) == {"aws": "http://127.0.0.1:4566"}
    assert elsewhere is None
