"""HttpApi: an API Gateway v2 HTTP API whose routes are authorized unless marked public.

Creates the API (CORS when origins are given), a ``$default`` stage that deploys automatically
with default route throttling and JSON access logs to a log group with retention (7 days dev /
30 days prod), and, per ``route``, the Lambda proxy integration (payload 2.0), the route and the
Lambda permission for exactly that method and path.

Every route gets the JWT authorizer (Firebase ID tokens through ``Identity``, or any
:class:`JwtAuthorizerConfig`) unless it is created with ``public=True``: a forgotten authorizer
is an error, not an open endpoint. A route may use another authorizer (Google-signed Pub/Sub
push tokens for the Firebase Storage sync, say) with ``authorizer=``.

Example:
    api = HttpApi("api", {
        "authorizer": identity,                       # or JwtAuthorizerConfig.firebase("demo-x")
        "cors": {"allow_origins": ["https://app.example.com"]},
        "throttle_rate": 50, "throttle_burst": 100,
    })
    api.route("POST /media/upload", upload_fn)
    api.route("GET /media/{id}", media_fn)
    api.route("GET /health", health_fn, public=True)
    pulumi.export("api_url", api.url)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import (
    ComponentArgs,
    ComponentArgsError,
    in_range,
    one_of,
    refuse,
)
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.function import Function
from hybridstack.components.jwt_authorizer import (
    JwtAuthorizerConfig,
    JwtAuthorizerSource,
    resolve_authorizer,
)
from hybridstack.components.stack_defaults import (
    CLOUDWATCH_RETENTION_DAYS,
    log_retention_days,
)

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
_SEGMENT = re.compile(r"^(?:[A-Za-z0-9._~!$&'()*,;=:@-]+|\{[A-Za-z_][A-Za-z0-9_]*\+?\})$")
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "latency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
        "userAgent": "$context.identity.userAgent",
    },
    sort_keys=True,
)
DEFAULT_CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_CORS_HEADERS = ("authorization", "content-type")


def parse_route_key(route_key: str) -> tuple[str, str]:
    """``"POST /media/{id}"`` -> (``POST``, ``/media/{id}``); ValueError saying what is wrong.

    ``$default`` (the catch-all route) -> (``$default``, ``""``). Greedy parameters
    (``{proxy+}``) may only end the path.
    """
    if route_key == "$default":
        return "$default", ""
    method, sep, path = route_key.partition(" ") if isinstance(route_key, str) else ("", "", "")
    if not sep or method not in HTTP_METHODS:
        raise ValueError(
            f"route key {route_key!r} must be 'METHOD /path' with METHOD one of "
            f"{', '.join(HTTP_METHODS)} (or '$default')"
        )
    if not path.startswith("/") or (path != "/" and path.endswith("/")) or " " in path:
        raise ValueError(f"route key {route_key!r}: the path must start with / and not end with /")
    segments = path.strip("/").split("/") if path != "/" else []
    for index, segment in enumerate(segments):
        if not _SEGMENT.match(segment):
            raise ValueError(f"route key {route_key!r}: path segment {segment!r} is not valid")
        if segment.endswith("+}") and index != len(segments) - 1:
            raise ValueError(f"route key {route_key!r}: greedy {segment} must be the last segment")
    return method, path


def permission_source_path(route_key: str) -> str:
    """The ``execute-api`` ARN suffix matching one route on any stage: ``/*/POST/media/*``."""
    method, path = parse_route_key(route_key)
    if method == "$default":
        return "/*/$default"
    wildcard = re.sub(r"\{[^}]+\}", "*", path)
    return f"/*/{'*' if method == 'ANY' else method}{wildcard}"


@dataclass(frozen=True, kw_only=True)
class CorsArgs(ComponentArgs):
    """Browser access to the API (preflight answered by API Gateway)."""

    allow_origins: Sequence[str]
    """Origins allowed, e.g. ``https://app.example.com`` (required, at least one)."""
    allow_methods: Sequence[str] = DEFAULT_CORS_METHODS
    """Methods allowed."""
    allow_headers: Sequence[str] = DEFAULT_CORS_HEADERS
    """Request headers allowed."""
    expose_headers: Sequence[str] = ()
    """Response headers exposed to scripts."""
    max_age: int = 3600
    """Seconds browsers cache a preflight answer, 0-86400."""
    allow_credentials: bool = False
    """Allow cookies/credentials (not with ``*`` origins)."""

    def __post_init__(self) -> None:
        if isinstance(self.allow_origins, str) or not self.allow_origins:
            refuse("allow_origins must list at least one origin")
        if self.allow_credentials and "*" in self.allow_origins:
            refuse("allow_credentials=True cannot be combined with allow_origins ['*']")
        in_range("max_age", self.max_age, 0, 86_400)

    def configuration(self) -> dict[str, Any]:
        """The API's ``cors_configuration``."""
        return {
            "allow_origins": list(self.allow_origins),
            "allow_methods": list(self.allow_methods),
            "allow_headers": list(self.allow_headers),
            "expose_headers": list(self.expose_headers),
            "max_age": self.max_age,
            "allow_credentials": self.allow_credentials,
        }


@dataclass(frozen=True, kw_only=True)
class HttpApiArgs(ComponentArgs):
    """Authorizer, CORS, throttling and logging of the API."""

    authorizer: JwtAuthorizerConfig | JwtAuthorizerSource | None = None
    """Who may call non-public routes: an ``Identity`` or a ``JwtAuthorizerConfig`` (none: every
    route must then be public or name its own authorizer)."""
    cors: CorsArgs | Mapping[str, Any] | None = None
    """CORS settings (none by default: only same-origin and non-browser clients)."""
    throttle_rate: float = 100
    """Steady-state requests per second across the stage's routes."""
    throttle_burst: int = 200
    """Burst capacity."""
    log_retention_days: int | None = None
    """Access log retention (default: the stack's, 7 days or 30 on production stacks)."""
    description: str | None = None
    """The API's description (default ``<name> (hybridstack)``)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the API, stage and log group."""

    def __post_init__(self) -> None:
        if self.authorizer is not None:
            try:
                object.__setattr__(self, "authorizer", resolve_authorizer(self.authorizer))
            except TypeError as error:
                refuse(f"authorizer: {error}")
        if self.cors:
            object.__setattr__(self, "cors", CorsArgs.parse(self.cors, owner="cors"))
        rate = self.throttle_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
            refuse(f"throttle_rate={rate!r} must be a positive number")
        in_range("throttle_burst", self.throttle_burst, 1, 5_000)
        if self.log_retention_days is not None:
            one_of("log_retention_days", self.log_retention_days, CLOUDWATCH_RETENTION_DAYS)

    @property
    def default_authorizer(self) -> JwtAuthorizerConfig | None:
        """The resolved authorizer of non-public routes."""
        return self.authorizer if isinstance(self.authorizer, JwtAuthorizerConfig) else None

    @property
    def cors_configuration(self) -> dict[str, Any] | None:
        """The API's ``cors_configuration`` (None without ``cors``)."""
        return self.cors.configuration() if isinstance(self.cors, CorsArgs) else None


class HttpApiTransforms(TypedDict, total=False):
    """Reshape a child of the HttpApi before it is created (see ``HybridComponent``)."""

    api: Transform
    """``aws.apigatewayv2.Api``: the HTTP API."""
    log_group: Transform
    """``aws.cloudwatch.LogGroup``: the access logs."""
    stage: Transform
    """``aws.apigatewayv2.Stage``: the ``$default`` stage (throttling, access logs)."""
    authorizer: Transform
    """``aws.apigatewayv2.Authorizer``: each JWT authorizer."""
    integration: Transform
    """``aws.apigatewayv2.Integration``: each Function's Lambda proxy integration."""
    route: Transform
    """``aws.apigatewayv2.Route``: each route."""


class HttpApi(HybridComponent):
    """API Gateway v2 HTTP API + stage + authorized routes to Functions.

    Example:
        api = HttpApi("api", {"authorizer": JwtAuthorizerConfig.firebase("demo-app")})
        api.route("GET /me", me_fn)
        api.route("GET /health", health_fn, public=True)
    """

    TYPE = "hybridstack:aws:HttpApi"
    TRANSFORMS = HttpApiTransforms

    api_id: pulumi.Output[str]
    """The API's id."""
    url: pulumi.Output[str]
    """The stage's invoke URL (``https://<id>.execute-api.<region>.amazonaws.com/``)."""
    execution_arn: pulumi.Output[str]
    """The ARN prefix Lambda permissions use."""

    def __init__(
        self,
        name: str,
        args: HttpApiArgs | Mapping[str, Any] | None = None,
        *,
        transform: HttpApiTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = HttpApiArgs.parse(args, owner=f"HttpApi {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        self._default_authorizer = settings.default_authorizer
        self._authorizers: dict[str, tuple[JwtAuthorizerConfig, aws.apigatewayv2.Authorizer]] = {}
        self._integrations: dict[str, aws.apigatewayv2.Integration] = {}
        self.routes: dict[str, aws.apigatewayv2.Route] = {}
        self.public_routes: list[str] = []
        """Route keys created with ``public=True`` (export them for the policy checks)."""

        self.api = api = self._create_api(settings)
        log_group = self._create_log_group(settings)
        self.stage = stage = self._create_stage(settings, log_group)
        if self._default_authorizer is not None:
            self._authorizer(self._default_authorizer)
        self.api_id = api.id
        self.execution_arn = api.execution_arn
        self.url = stage.invoke_url
        self.log_group_name = log_group.name
        self.stage_name = stage.name
        self.register_outputs(
            {"api_id": self.api_id, "url": self.url, "execution_arn": self.execution_arn}
        )

    def _create_api(self, settings: HttpApiArgs) -> aws.apigatewayv2.Api:
        name = self.component_name
        api_args: dict[str, Any] = {
            "protocol_type": "HTTP",
            "description": settings.description or f"{name} (hybridstack)",
            "tags": dict(settings.tags),
        }
        if settings.cors_configuration is not None:
            api_args["cors_configuration"] = settings.cors_configuration
        return self.child("api", aws.apigatewayv2.Api, name, api_args)

    def _create_log_group(self, settings: HttpApiArgs) -> aws.cloudwatch.LogGroup:
        name = self.component_name
        return self.child(
            "log_group",
            aws.cloudwatch.LogGroup,
            name,
            {
                "name_prefix": f"/aws/apigateway/{name}-",
                "retention_in_days": log_retention_days(
                    settings.log_retention_days, owner=f"HttpApi {name!r}"
                ),
                "tags": dict(settings.tags),
            },
        )

    def _create_stage(
        self, settings: HttpApiArgs, log_group: aws.cloudwatch.LogGroup
    ) -> aws.apigatewayv2.Stage:
        return self.child(
            "stage",
            aws.apigatewayv2.Stage,
            self.component_name,
            {
                "api_id": self.api.id,
                "name": "$default",
                "auto_deploy": True,
                "default_route_settings": {
                    "throttling_rate_limit": settings.throttle_rate,
                    "throttling_burst_limit": settings.throttle_burst,
                    "detailed_metrics_enabled": True,
                },
                "access_log_settings": {
                    "destination_arn": log_group.arn,
                    "format": ACCESS_LOG_FORMAT,
                },
                "tags": dict(settings.tags),
            },
        )

    def _authorizer(self, config: JwtAuthorizerConfig) -> aws.apigatewayv2.Authorizer:
        existing = self._authorizers.get(config.name)
        if existing is not None:
            if existing[0] != config:
                raise ComponentArgsError(
                    f"HttpApi {self.component_name!r}: two different authorizers are named "
                    f"{config.name!r}; give JwtAuthorizerConfig distinct names"
                )
            return existing[1]
        authorizer = self.child(
            "authorizer",
            aws.apigatewayv2.Authorizer,
            f"{self.component_name}-{config.name}",
            {
                "api_id": self.api.id,
                "authorizer_type": "JWT",
                "name": config.name,
                "identity_sources": [config.identity_source],
                "jwt_configuration": {"issuer": config.issuer, "audiences": list(config.audience)},
            },
        )
        self._authorizers[config.name] = (config, authorizer)
        return authorizer

    def _integration(self, function: Function) -> aws.apigatewayv2.Integration:
        key = function.component_name
        if key not in self._integrations:
            self._integrations[key] = self.child(
                "integration",
                aws.apigatewayv2.Integration,
                f"{self.component_name}-{key}",
                {
                    "api_id": self.api.id,
                    "integration_type": "AWS_PROXY",
                    "integration_uri": function.invoke_arn,
                    "integration_method": "POST",
                    "payload_format_version": "2.0",
                    "timeout_milliseconds": min(30_000, function.timeout_seconds * 1000),
                },
            )
        return self._integrations[key]

    def route(
        self,
        route_key: str,
        function: Function,
        *,
        public: bool = False,
        authorizer: JwtAuthorizerConfig | JwtAuthorizerSource | None = None,
        scopes: Sequence[str] | None = None,
    ) -> aws.apigatewayv2.Route:
        """Send ``route_key`` (``"POST /media/upload"``) to ``function``.

        Authorized by the API's authorizer (or ``authorizer``) unless ``public=True``; the
        Lambda permission covers only this method and path.
        """
        owner = f"HttpApi {self.component_name!r}.route({route_key!r})"
        try:
            parse_route_key(route_key)
        except ValueError as error:
            raise ComponentArgsError(f"{owner}: {error}") from None
        if route_key in self.routes:
            raise ComponentArgsError(f"{owner}: the route exists already")
        if not isinstance(function, Function):
            raise ComponentArgsError(f"{owner}: function must be a Function, not {function!r}")
        config: JwtAuthorizerConfig | None = None
        if public:
            if authorizer is not None or scopes:
                raise ComponentArgsError(f"{owner}: a public route takes no authorizer or scopes")
        else:
            try:
                config = resolve_authorizer(authorizer) if authorizer else self._default_authorizer
            except TypeError as error:
                raise ComponentArgsError(f"{owner}: authorizer: {error}") from None
            if config is None:
                raise ComponentArgsError(
                    f"{owner}: the route is not public and the HttpApi has no authorizer; pass "
                    "authorizer= (an Identity or JwtAuthorizerConfig) or public=True"
                )
        slug = re.sub(r"[^A-Za-z0-9]+", "-", route_key).strip("-").lower() or "default"
        integration = self._integration(function)
        route_args: dict[str, Any] = {
            "api_id": self.api.id,
            "route_key": route_key,
            "target": integration.id.apply(lambda i: f"integrations/{i}"),
            "authorization_type": "NONE",
        }
        if config is not None:
            route_args["authorization_type"] = "JWT"
            route_args["authorizer_id"] = self._authorizer(config).id
            route_scopes = list(scopes if scopes is not None else config.scopes)
            if route_scopes:
                route_args["authorization_scopes"] = route_scopes
        route = self.child(
            "route", aws.apigatewayv2.Route, f"{self.component_name}-{slug}", route_args
        )
        self.routes[route_key] = route
        if public:
            self.public_routes.append(route_key)
        function.allow_invoke_from(
            f"{self.component_name}-{slug}",
            "apigateway.amazonaws.com",
            self.api.execution_arn.apply(lambda arn: arn + permission_source_path(route_key)),
        )
        return route
