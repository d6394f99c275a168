"""Every variable a service reads is one a link provides: the reference program is run under
mocks for each stack file, and each Function's environment is compared with what its
handler's code reads (``settings.NAME`` uses, see :mod:`.service_reads`)."""

from __future__ import annotations

import pytest

from hybridstack.components.link import env_prefix as components_env_prefix
from hybridstack.services.common import links, settings
from tests.unit.contracts.platform_runs import DeployedFunction, functions
from tests.unit.contracts.service_reads import Reads, handler_reads
from tests.unit.program.stacks import STACKS


def _service_functions(stack: str) -> list[tuple[DeployedFunction, Reads]]:
    found = [
        (f, handler_reads(f.module))
        for f in functions(stack)
        if f.handler.startswith("hybridstack.services.")
    ]
    assert found, f"no service Function on the {stack} stack"
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_every_variable_a_service_requires_is_set_on_its_function(stack: str) -> None:
    for function, reads in _service_functions(stack):
        missing = sorted(reads.required - set(function.environment))
        assert not missing, (
            f"{function.name} ({function.handler}) on {stack} requires {missing}, which no link "
            f"sets; it gets {sorted(function.environment)}"
        )


def test_every_variable_a_service_may_read_is_provided_somewhere() -> None:
    """An optional variable or a suffix lookup no stack ever provides is a misspelling."""
    provided: dict[str, set[str]] = {}
    read_by: dict[str, set[str]] = {}
    for stack in STACKS:
        for function, reads in _service_functions(stack):
            for name in reads.optional | reads.suffixes:
                read_by.setdefault(name, set()).add(function.handler)
                if any(v == name or v.endswith(name) for v in function.environment):
                    provided.setdefault(name, set()).add(function.handler)
    unprovided = {
        name: sorted(handlers)
        for name, handlers in read_by.items()
        if name not in provided and name not in settings.NOT_LINKED
    }
    assert not unprovided, f"read but set by no link on any stack: {unprovided}"


def test_the_components_name_variables_by_the_services_rule() -> None:
    assert components_env_prefix is links.env_prefix
    assert links.link_variable("media-store", links.BUCKET_NAME) == "MEDIA_STORE_BUCKET_NAME"
    assert links.link_variable("3d.models", links.QUEUE_URL) == "R_3D_MODELS_QUEUE_URL"
    assert settings.CLUSTER_ARN_SUFFIX == "_CLUSTER_ARN"
