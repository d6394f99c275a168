"""Running the example programs in examples/<name>/ under Pulumi mocks."""

from __future__ import annotations

import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hybridstack.components.http_api import HttpApi
from hybridstack.testing import RegisteredResource, run_under_mocks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class ExampleRun:
    resources: list[RegisteredResource]
    namespace: dict[str, Any]

    @property
    def public_routes(self) -> list[str]:
        """Route keys declared public on every HttpApi the program created."""
        apis = [v for v in self.namespace.values() if isinstance(v, HttpApi)]
        return [route for api in apis for route in api.public_routes]

    def of_type(self, type_token: str) -> list[RegisteredResource]:
        return [r for r in self.resources if r.type == type_token]


def project_name(example: str) -> str:
    document = yaml.safe_load((EXAMPLES / example / "Pulumi.yaml").read_text())
    return str(document["name"])


def run_example(example: str, stack: str, config: dict[str, Any] | None = None) -> ExampleRun:
    """Run ``examples/<example>/__main__.py`` as ``pulumi up --stack <stack>`` would."""
    namespace: dict[str, Any] = {}

    def program() -> None:
        namespace.update(
            runpy.run_path(str(EXAMPLES / example / "__main__.py"), run_name="__main__")
        )

    resources = run_under_mocks(program, stack=stack, project=project_name(example), config=config)
    return ExampleRun(resources, namespace)
