"""HttpApi: routes authorized unless public, route keys validated, stage logs and throttles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi, parse_route_key, permission_source_path
from hybridstack.components.jwt_authorizer import JwtAuthorizerConfig, resolve_authorizer
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks
from tests.unit.components.aws_helpers import make_code_root

ROUTE = "aws:apigatewayv2/route:Route"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
FIREBASE = JwtAuthorizerConfig.firebase("demo-music")


class _IdentityLike:
    """What the Identity component offers: a jwt_authorizer() method."""

    def jwt_authorizer(self) -> JwtAuthorizerConfig:
        return FIREBASE


@pytest.fixture
def code_root(tmp_path: Path) -> Path:
    return make_code_root(tmp_path)


def _fn(code_root: Path, name: str = "media") -> Function:
    return Function(
        name,
        {
            "handler": "app.svc.media.handler.process",
            "code_root": str(code_root),
            "layer": False,
            "dead_letter": False,
        },
    )


def test_route_keys_are_parsed_and_bad_ones_explained() -> None:
    assert parse_route_key("POST /media/upload") == ("POST", "/media/upload")
    assert parse_route_key("GET /media/{id}") == ("GET", "/media/{id}")
    assert parse_route_key("ANY /{proxy+}") == ("ANY", "/{proxy+}")
    assert parse_route_key("$default") == ("$default", "")
    for bad, reason in [
        ("post /x", "METHOD one of"),
        ("POST media", "must start with /"),
        ("GET /a/", "not end with /"),
        ("GET /{a+}/b", "must be the last segment"),
        ("GET /a b", "not end with|must start"),
        ("GET /{1x}", "segment '{1x}' is not valid"),
    ]:
        with pytest.raises(ValueError, match=reason):
            parse_route_key(bad)


def test_permission_covers_only_the_route() -> None:
    assert permission_source_path("POST /media/upload") == "/*/POST/media/upload"
    assert permission_source_path("DELETE /media/{id}") == "/*/DELETE/media/*"
    assert permission_source_path("ANY /{proxy+}") == "/*/*/*"
    assert permission_source_path("$default") == "/*/$default"


def test_every_route_is_authorized_except_the_public_one(code_root: Path) -> None:
    def program() -> None:
        api = HttpApi("api", {"authorizer": _IdentityLike()})
        fn = _fn(code_root)
        api.route("POST /media/upload", fn)
        api.route("GET /media/{id}", fn)
        api.route("GET /health", fn, public=True)

    resources = run_under_mocks(program)
    (authorizer,) = of_type(resources, AUTHORIZER)
    assert authorizer.inputs["authorizerType"] == "JWT"
    assert authorizer.inputs["jwtConfiguration"] == {
        "issuer": "https://securetoken.google.com/demo-music",
        "audiences": ["demo-music"],
    }
    assert authorizer.inputs["identitySources"] == ["$request.header.Authorization"]
    routes = {r.inputs["routeKey"]: r for r in of_type(resources, ROUTE)}
    for key in ("POST /media/upload", "GET /media/{id}"):
        assert routes[key].inputs["authorizationType"] == "JWT"
        assert routes[key].inputs["authorizerId"] == authorizer.id
    assert routes["GET /health"].inputs["authorizationType"] == "NONE"
    assert "authorizerId" not in routes["GET /health"].inputs
    # one integration per function, every route targets it
    (integration,) = of_type(resources, "aws:apigatewayv2/integration:Integration")
    assert integration.inputs["payloadFormatVersion"] == "2.0"
    assert {r.inputs["target"] for r in routes.values()} == {f"integrations/{integration.id}"}


def test_each_route_gets_a_permission_for_its_own_method_and_path(code_root: Path) -> None:
    def program() -> None:
        api = HttpApi("api", {"authorizer": FIREBASE})
        api.route("DELETE /media/{id}", _fn(code_root))

    resources = run_under_mocks(program)
    (api,) = of_type(resources, "aws:apigatewayv2/api:Api")
    (permission,) = of_type(resources, "aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "apigateway.amazonaws.com"
    assert permission.inputs["sourceArn"] == f"{api.outputs['executionArn']}/*/DELETE/media/*"


def test_a_route_without_any_authorizer_is_refused_unless_public(code_root: Path) -> None:
    def program() -> None:
        HttpApi("api").route("POST /media/upload", _fn(code_root))

    with pytest.raises(ComponentArgsError, match=r"not public and the HttpApi has no authorizer"):
        run_under_mocks(program)


def test_per_route_authorizer_adds_a_second_authorizer(code_root: Path) -> None:
    google = JwtAuthorizerConfig(
        name="google-push",
        issuer="https://accounts.google.com",
        audience=["https://api.example.com/media/sync"],
    )

    def program() -> None:
        api = HttpApi("api", {"authorizer": FIREBASE})
        api.route("POST /media/sync", _fn(code_root), authorizer=google)

    resources = run_under_mocks(program)
    authorizers = {a.inputs["name"]: a for a in of_type(resources, AUTHORIZER)}
    assert set(authorizers) == {"firebase", "google-push"}
    (route,) = of_type(resources, ROUTE)
    assert route.inputs["authorizerId"] == authorizers["google-push"].id


def test_stage_throttles_and_writes_json_access_logs_with_retention(code_root: Path) -> None:
    resources = run_under_mocks(
        lambda: HttpApi("api", {"throttle_rate": 50, "throttle_burst": 100}), stack="prod"
    )
    (stage,) = of_type(resources, "aws:apigatewayv2/stage:Stage")
    (log_group,) = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert stage.inputs["autoDeploy"] is True
    assert stage.inputs["defaultRouteSettings"]["throttlingRateLimit"] == 50
    assert stage.inputs["defaultRouteSettings"]["throttlingBurstLimit"] == 100
    assert stage.inputs["accessLogSettings"]["destinationArn"] == log_group.outputs["arn"]
    assert "requestId" in json.loads(stage.inputs["accessLogSettings"]["format"])
    assert log_group.inputs["retentionInDays"] == 30


def test_cors_defaults_and_validation() -> None:
    resources = run_under_mocks(
        lambda: HttpApi("api", {"cors": {"allow_origins": ["https://app.example.com"]}})
    )
    (api,) = of_type(resources, "aws:apigatewayv2/api:Api")
    cors = api.inputs["corsConfiguration"]
    assert cors["allowOrigins"] == ["https://app.example.com"]
    assert "authorization" in cors["allowHeaders"]
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match="allow_credentials=True cannot"):
        run_under_mocks(
            lambda: HttpApi("api", {"cors": {"allow_origins": ["*"], "allow_credentials": True}}),
            mocks=mocks,
        )
    assert mocks.resources == []


@pytest.mark.parametrize(
    ("route_key", "message"),
    [("FETCH /x", r"route\('FETCH /x'\).*METHOD one of"), ("GET x", "must start with /")],
)
def test_bad_route_keys_name_the_route(code_root: Path, route_key: str, message: str) -> None:
    def program() -> None:
        HttpApi("api", {"authorizer": FIREBASE}).route(route_key, _fn(code_root))

    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(program)


def test_duplicate_routes_and_public_with_authorizer_are_refused(code_root: Path) -> None:
    def duplicate() -> None:
        api = HttpApi("api", {"authorizer": FIREBASE})
        fn = _fn(code_root)
        api.route("GET /a", fn)
        api.route("GET /a", fn)

    with pytest.raises(ComponentArgsError, match="exists already"):
        run_under_mocks(duplicate)

    def contradictory() -> None:
        HttpApi("api").route("GET /a", _fn(code_root), public=True, authorizer=FIREBASE)

    with pytest.raises(ComponentArgsError, match="public route takes no authorizer"):
        run_under_mocks(contradictory)


def test_transform_reaches_the_stage() -> None:
    def detailed_off(args: dict[str, Any]) -> None:
        args["default_route_settings"]["detailed_metrics_enabled"] = False

    resources = run_under_mocks(lambda: HttpApi("api", transform={"stage": detailed_off}))
    (stage,) = of_type(resources, "aws:apigatewayv2/stage:Stage")
    assert stage.inputs["defaultRouteSettings"]["detailedMetricsEnabled"] is False


def test_authorizer_config_validation() -> None:
    with pytest.raises(ComponentArgsError, match="issuer='securetoken' must be a URL"):
        JwtAuthorizerConfig(issuer="securetoken", audience=["x"])
    with pytest.raises(ComponentArgsError, match="audience is empty"):
        JwtAuthorizerConfig(issuer="https://i", audience=[])
    assert JwtAuthorizerConfig(issuer="https://i", audience="x").audience == ("x",)
    with pytest.raises(TypeError, match="not a JWT authorizer"):
        resolve_authorizer(object())  # type: ignore[arg-type]


def test_a_cors_typo_is_refused_by_name_before_anything_registers() -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError) as refused:
        run_under_mocks(
            lambda: HttpApi("api", {"cors": {"allow_orgins": ["https://app.example.com"]}}),
            mocks=mocks,
        )
    assert "HttpApi 'api': cors: unknown argument 'allow_orgins'" in str(refused.value)
    assert "did you mean 'allow_origins'" in str(refused.value)
    assert mocks.resources == []
