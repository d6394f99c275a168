"""The routes a service serves, declared once in API Gateway syntax and served from them.

Each service declares its route keys once, in a ``routes`` module with no runtime dependency
(``services/media/routes.py``: ``GET_MEDIA = "GET /media/{media_id}"``), which a program
imports to route exactly those to the service's Function. The service's HTTP adapter maps the
same constants to functions; :func:`serve` registers each on the Powertools resolver
(``/media/<media_id>``) and refuses a table that differs from the declared routes, so a path is
never spelled twice nor in two syntaxes. :func:`served_routes` reads back what a resolver serves
(the contract test compares it with ``ROUTES``).

Example:
    from hybridstack.services.media import routes

    app = APIGatewayHttpResolver()

    def get_media(media_id: str) -> dict[str, Any]: ...

    ROUTES = serve(app, {routes.GET_MEDIA: get_media}, declared=(routes.GET_MEDIA,))
    # ROUTES == ("GET /media/{media_id}",); GET /media/abc calls get_media(media_id="abc")
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the program imports route keys without the Lambda runtime libraries
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


def serve(
    app: APIGatewayHttpResolver,
    table: Mapping[str, Callable[..., Any]],
    *,
    declared: Sequence[str],
) -> tuple[str, ...]:
    """Register every ``route key -> function`` of ``table`` on ``app``; return the keys.

    ``declared`` is the service's ``routes`` module's tuple: the table must serve exactly those.
    Raises RouteKeyError for a key that is not an API Gateway route key or not declared, and for
    a declared route the table leaves out.
    """
    missing = [key for key in declared if key not in table]
    undeclared = [key for key in table if key not in declared]
    if missing or undeclared:
        raise RouteKeyError(
            f"the adapter's routes differ from its routes module: not served {missing}, "
            f"not declared {undeclared}"
        )
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
