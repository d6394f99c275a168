"""pytest fixtures for tests that need the whole local stack deployed (system tests).

``deployed_stack`` (session scope) starts a local cloud of its own — IAM enforced in the AWS
emulator, Storage events flowing to Pub/Sub, the platform's Firebase functions (user registration)
in the Functions emulator — deploys the ``local`` stack of the Pulumi project in pytest's rootdir
(or ``--pulumi-project-dir``) into it once with the deploy engine, and stops it at the end of the
session. It is not the
plugin's ``local_cloud`` (which is wiped before every test and runs without IAM): data written by
one test stays, so tests use their own users and ids.

Registered by the ``hybridstack`` pytest plugin.

Example:
    def test_health(deployed_stack):
        response = requests.get(deployed_stack.api_url + "health", timeout=30)
        assert response.json() == {"status": "ok"}

    def test_upload(deployed_stack):
        s3 = aws_client(deployed_stack.endpoints, "s3")
        s3.put_object(Bucket=deployed_stack.outputs["mediaBucket"], Key="k", Body=b"...")
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from hybridstack.emulators.deploy.engine import DeployResult
    from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
    from hybridstack.emulators.runtime.local_cloud import LocalCloud


@dataclass
class DeployedStack:
    """A running local cloud with the local stack deployed into it."""

    cloud: LocalCloud
    result: DeployResult
    project_dir: Path

    @property
    def endpoints(self) -> LocalCloudEndpoints:
        return self.cloud.endpoints

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack outputs (``apiUrl``, ``mediaBucket``, ``firebaseConfig``, ...)."""
        return self.result.outputs

    @property
    def api_url(self) -> str:
        """The HTTP API's base URL, ending with ``/``."""
        url = str(self.result.outputs["apiUrl"])
        return url if url.endswith("/") else url + "/"

    def redeploy(self, **options: Any) -> DeployResult:
        """Deploy again into the same cloud (only what changed is touched)."""
        from hybridstack.emulators.devtools.stack_cloud import deploy_into

        self.result = deploy_into(self.cloud, project_dir=self.project_dir, **options)
        return self.result


@pytest.fixture(scope="session")
def deployed_stack(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[DeployedStack]:
    """The ``local`` stack deployed into a local cloud of its own (once per session)."""
    from hybridstack.emulators.devtools.pytest_plugin import pulumi_project_dir
    from hybridstack.emulators.devtools.stack_cloud import deploy_into, local_stack_cloud

    project_dir = pulumi_project_dir(pytestconfig)
    cloud = local_stack_cloud(state_dir=tmp_path_factory.mktemp("deployed-stack"))
    try:
        cloud.start()
        yield DeployedStack(cloud, deploy_into(cloud, project_dir=project_dir), project_dir)
    finally:
        cloud.stop()
