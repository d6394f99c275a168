"""Routes are declared once, by the service that serves them: each HTTP adapter's resolver
serves exactly its ``ROUTES``, and the program routes to a Function only what that Function's
service declares, and all of it."""

from __future__ import annotations

import importlib
import re
from importlib import resources
from typing import Any, cast

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from hybridstack.services.common.routes import RouteKeyError, serve, served_routes
from tests.unit.contracts.platform_runs import routed
from tests.unit.program.stacks import STACKS

RESOLVER = re.compile(r"^app = APIGatewayHttpResolver\(", re.MULTILINE)


def _adapter_modules() -> list[str]:
    """Every service module that builds a Powertools HTTP resolver (an HTTP adapter)."""
    found = []

    def walk(folder: Any, package: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir() and entry.joinpath("__init__.py").is_file():
                walk(entry, f"{package}.{entry.name}")
            elif entry.name.endswith(".py") and RESOLVER.search(entry.read_text()):
                found.append(f"{package}.{entry.name.removesuffix('.py')}")

    walk(resources.files("hybridstack.services"), "hybridstack.services")
    return sorted(found)


ADAPTERS = _adapter_modules()


def test_the_http_adapters_are_found() -> None:
    assert "hybridstack.services.media.api" in ADAPTERS
    assert "hybridstack.services.api.handler" in ADAPTERS


@pytest.mark.parametrize("module", ADAPTERS)
def test_each_adapter_serves_exactly_the_routes_it_declares(module: str) -> None:
    adapter = importlib.import_module(module)
    declared = getattr(adapter, "ROUTES", None)
    assert declared, f"{module} serves HTTP routes but declares no ROUTES"
    served = served_routes(adapter.app)
    assert sorted(served) == sorted(declared), (
        f"{module}: served but not declared {sorted(set(served) - set(declared))}; "
        f"declared but not served {sorted(set(declared) - set(served))}"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_routes_only_what_the_services_declare(stack: str) -> None:
    routes = routed(stack)
    assert routes
    for key, function in routes.items():
        declared = getattr(importlib.import_module(function.module), "ROUTES", ())
        assert key in declared, (
            f"the {stack} stack routes {key!r} to {function.name} ({function.handler}), "
            f"whose service declares {list(declared)}"
        )


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_routes_everything_a_deployed_service_declares(stack: str) -> None:
    routes = routed(stack)
    for function in {f.name: f for f in routes.values()}.values():
        declared = importlib.import_module(function.module).ROUTES
        served_here = {key for key, f in routes.items() if f.name == function.name}
        missing = sorted(set(declared) - served_here)
        assert not missing, f"{function.handler} declares {missing}, not routed on {stack}"


def test_a_route_table_entry_serves_that_route() -> None:
    app = APIGatewayHttpResolver()
    key = "GET /things/{thing_id}"
    routes = serve(app, {key: lambda thing_id: {"id": thing_id}}, declared=(key,))
    assert routes == ("GET /things/{thing_id}",) == served_routes(app)
    event = {
        "version": "2.0",
        "rawPath": "/things/t1",
        "requestContext": {"http": {"method": "GET", "path": "/things/t1"}, "stage": "$default"},
    }
    assert '"id":"t1"' in app.resolve(event, cast(Any, None))["body"].replace(" ", "")


@pytest.mark.parametrize("key", ["GET /things/<thing_id>", "FETCH /things", "/things"])
def test_a_route_key_in_another_syntax_is_refused_by_name(key: str) -> None:
    with pytest.raises(RouteKeyError, match=f"route {key!r} is not an API Gateway route key"):
        serve(APIGatewayHttpResolver(), {key: lambda: {}}, declared=(key,))


def test_an_adapter_serving_other_routes_than_it_declares_is_refused() -> None:
    with pytest.raises(RouteKeyError, match=r"not served \['GET /b'\], not declared \['GET /a'\]"):
        serve(APIGatewayHttpResolver(), {"GET /a": lambda: {}}, declared=("GET /b",))
