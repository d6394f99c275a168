"""The reference program under Pulumi mocks, once per stack file, and what its Functions got."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hybridstack.testing import RegisteredResource, of_type, run_under_mocks
from reference_platform.program import build_platform
from tests.unit.program.stacks import stack_config


@dataclass(frozen=True)
class DeployedFunction:
    """One Lambda of the platform: its logical name, handler and environment variables."""

    name: str
    handler: str
    environment: dict[str, str]
    invoke_arn: str

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]


@cache
def platform_resources(stack: str) -> list[RegisteredResource]:
    """Every resource the reference program registers for ``Pulumi.<stack>.yaml``."""
    return run_under_mocks(build_platform, stack=stack, config=stack_config(stack))


def functions(stack: str) -> list[DeployedFunction]:
    """Every Lambda function of the platform on ``stack``."""
    return [
        DeployedFunction(
            name=r.name,
            handler=r.inputs["handler"],
            environment=dict(r.inputs.get("environment", {}).get("variables", {})),
            invoke_arn=r.outputs["invokeArn"],
        )
        for r in of_type(platform_resources(stack), "aws:lambda/function:Function")
    ]


def routed(stack: str) -> dict[str, DeployedFunction]:
    """Every route key of the platform's HTTP API -> the Function it invokes."""
    resources = platform_resources(stack)
    by_arn = {f.invoke_arn: f for f in functions(stack)}
    integrations = {
        r.id: by_arn[r.inputs["integrationUri"]]
        for r in of_type(resources, "aws:apigatewayv2/integration:Integration")
    }
    return {
        r.inputs["routeKey"]: integrations[r.inputs["target"].removeprefix("integrations/")]
        for r in of_type(resources, "aws:apigatewayv2/route:Route")
    }
