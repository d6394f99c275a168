"""The local deploy engine: the stack's Pulumi program deployed into the running local cloud.

See :mod:`hybridstack.emulators.deploy.engine` for the API (``deploy_local_stack``). Names are
imported lazily, so the pytest plugin can register the fixtures without importing Pulumi.

Example:
    from hybridstack.emulators.deploy import deploy_local_stack
    result = deploy_local_stack(endpoints, project_dir=Path("."))
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DeployError",
    "DeployResult",
    "UnknownResourceTypeError",
    "deploy_local_stack",
    "read_outputs",
]


def __getattr__(name: str) -> Any:
    if name == "UnknownResourceTypeError":
        from hybridstack.emulators.deploy import registry

        return registry.UnknownResourceTypeError
    if name in __all__:
        from hybridstack.emulators.deploy import engine

        return getattr(engine, name)
    raise AttributeError(name)
