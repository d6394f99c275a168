"""The routes a service serves, written once in API Gateway syntax and served from that table.

A service's HTTP adapter declares its routes as one table, route key -> function, in the syntax
the API's routes are written in (``"GET /media/{media_id}"``). :func:`serve` registers each on
the Powertools resolver (``/media/<media_id>``) and returns the keys, the module's ``ROUTES``:
the program routes exactly those to the service's Function (``api.route(key, function)``), so a
path is never spelled in two syntaxes. :func:`served_routes` reads back what a resolver serves
(the contract test compares it with ``ROUTES``).

Example:
    app = APIGatewayHttpResolver()

    def get_media(media_id: str) -> dict[str, Any]: ...

    ROUTES = serve(app, {"GET /media/{media_id}": get_media})
    # ROUTES == ("GET /media/{media_id}",); GET /media/abc calls get_media(media_id="abc")
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_ROUTE_KEY = re.compile(r"^(?P<method>[A-Z]+) (?P<path>/[A-Za-z0-9_\-./{}]*)$")
_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class RouteKeyError(ValueError):
    """A route key is not ``"<METHOD> /path/{param}"``; the message names it and the form."""


def parse_route_key(key: str) -> tuple[str, str]:
    """``"GET /media/{media_id}"`` -> ``("GET", "/media/{media_id}")``, or a RouteKeyError."""
    match = _ROUTE_KEY.match(key) if isinstance(key, str) else None
    if match is None or match["method"] not in METHODS:
        raise RouteKeyError(
            f"route {key!r} is not an API Gateway route key: write '<METHOD> /path/{{param}}' "
            f"with METHOD one of {', '.join(METHODS)}"
        )
    return match["method"], match["path"]


def resolver_path(path: str) -> str:
    """An API Gateway path in Powertools' syntax: ``/media/{media_id}`` -> ``/media/<media_id>``."""
    return _PARAMETER.sub(r"<\1>", path)


def serve(app: APIGatewayHttpResolver, table: Mapping[str, Callable[..., Any]]) -> tuple[str, ...]:
    """Register every ``route key -> function`` of ``table`` on ``app``; return the keys.

    Raises RouteKeyError for a key that is not an API Gateway route key.
    """
    for key, function in table.items():
        method, path = parse_route_key(key)
        app.route(resolver_path(path), method=method)(function)
    return tuple(table)


def served_routes(app: APIGatewayHttpResolver) -> tuple[str, ...]:
    """Every route ``app`` serves, as API Gateway route keys (static paths first)."""
    found = []
    for route in [*app._static_routes, *app._dynamic_routes]:
        methods = [route.method] if isinstance(route.method, str) else list(route.method)
        found += [f"{method.upper()} {route.openapi_path}" for method in methods]
    return tuple(found)
