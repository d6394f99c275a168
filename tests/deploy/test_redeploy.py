"""Deploying again into a running cloud: changed code is updated in place and answers; what did
not change is left alone; a wiped cloud gets everything again."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
import requests

from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.jwt_authorizer import JwtAuthorizerConfig
from hybridstack.emulators.deploy import deploy_local_stack
from tests.repository import REPOSITORY

HANDLER = """
import json


def handle(event, context):
    return {"statusCode": 200, "body": json.dumps({"version": VERSION})}
"""

pytestmark = pytest.mark.emulators("aws")


def _write_app(root: Path, version: int) -> None:
    package = root / "probe_app"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(f"VERSION = {version}\n" + HANDLER)


def _program(root: Path, extra_route: bool = False):
    def program() -> None:
        function = Function(
            "probe",
            {
                "handler": "probe_app.handler.handle",
                "code_root": str(root),
                "layer": False,
                "dead_letter": False,
            },
        )
        api = HttpApi("probe", {"authorizer": JwtAuthorizerConfig.firebase("demo-hybridstack")})
        api.route("GET /probe", function, public=True)
        if extra_route:
            api.route("GET /extra", function, public=True)
        pulumi.export("apiUrl", api.url)
        pulumi.export("functionName", function.function_name)

    return program


def _deploy(cloud, root: Path, state: Path, *, extra_route: bool = False):
    return deploy_local_stack(
        cloud, project_dir=REPOSITORY, program=_program(root, extra_route), state_path=state
    )


def _answer(result) -> dict:
    response = requests.get(result.outputs["apiUrl"].rstrip("/") + "/probe", timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_code_change_updates_the_function_and_the_new_code_answers(cloud, tmp_path):
    root, state = tmp_path / "code", tmp_path / "deploy.json"
    _write_app(root, 1)
    first = _deploy(cloud, root, state)
    assert _answer(first) == {"version": 1}

    _write_app(root, 2)
    second = _deploy(cloud, root, state)

    assert _answer(second) == {"version": 2}
    changed = {(a.type, a.name) for a in second.actions if a.status != "unchanged"}
    assert changed == {("aws:lambda/function:Function", "probe")}
    assert second.outputs["apiUrl"] == first.outputs["apiUrl"]


def test_a_redeploy_without_changes_touches_nothing(cloud, tmp_path, lambda_client):
    root, state = tmp_path / "code", tmp_path / "deploy.json"
    _write_app(root, 1)
    first = _deploy(cloud, root, state)
    name = first.outputs["functionName"]
    modified = lambda_client.get_function_configuration(FunctionName=name)["LastModified"]

    second = _deploy(cloud, root, state)

    assert second.count("unchanged") == first.count("created") > 0
    assert second.count("created") == second.count("updated") == 0
    assert lambda_client.get_function_configuration(FunctionName=name)["LastModified"] == modified
    assert _answer(second) == {"version": 1}


def test_a_wiped_cloud_gets_everything_again(cloud, local_cloud, tmp_path):
    root, state = tmp_path / "code", tmp_path / "deploy.json"
    _write_app(root, 3)
    _deploy(cloud, root, state)
    local_cloud.reset()

    again = _deploy(cloud, root, state)

    assert again.count("unchanged") == 0
    assert _answer(again) == {"version": 3}


def test_a_route_no_longer_declared_is_deleted(cloud, tmp_path):
    root, state = tmp_path / "code", tmp_path / "deploy.json"
    _write_app(root, 4)
    first = _deploy(cloud, root, state, extra_route=True)
    extra = first.outputs["apiUrl"].rstrip("/") + "/extra"
    assert requests.get(extra, timeout=60).status_code == 200

    second = _deploy(cloud, root, state)

    assert requests.get(extra, timeout=60).status_code == 404
    assert _answer(second) == {"version": 4}
    deleted = {urn.rsplit("::", 1)[-1] for urn in second.removed}
    assert deleted == {"probe-get-extra", "probe-probe-get-extra"}
    assert second.left == []


def test_a_failing_resource_is_named_and_what_was_made_is_kept_for_the_next_deploy(
    cloud, tmp_path, apigatewayv2
):
    import pulumi_aws as aws

    from hybridstack.emulators.deploy import DeployError

    root, state = tmp_path / "code", tmp_path / "deploy.json"
    _write_app(root, 5)
    working = _program(root)

    def failing() -> None:
        working()
        aws.sqs.QueuePolicy(
            "orphan", queue_url="http://127.0.0.1:1/000000000000/nowhere", policy="{}"
        )

    with pytest.raises(DeployError) as raised:
        deploy_local_stack(cloud, project_dir=REPOSITORY, program=failing, state_path=state)
    again = _deploy(cloud, root, state)

    assert "aws:sqs/queuePolicy:QueuePolicy 'orphan'" in str(raised.value)
    assert again.count("unchanged") > 0  # what the failed deploy made was not made twice
    assert len(apigatewayv2.get_apis()["Items"]) == 1
    assert _answer(again) == {"version": 5}


def test_a_changed_emulator_address_reaches_the_functions_on_redeploy(
    cloud, tmp_path, lambda_client
):
    root, state = tmp_path / "code", tmp_path / "deploy.json"
    _write_app(root, 6)
    first = deploy_local_stack(
        cloud, project_dir=REPOSITORY, program=_program(root), state_path=state
    )
    moved = cloud.model_copy(update={"firestore": "127.0.0.1:18080"})

    second = deploy_local_stack(
        moved, project_dir=REPOSITORY, program=_program(root), state_path=state
    )

    changed = {(a.type, a.name) for a in second.actions if a.status != "unchanged"}
    assert changed == {("aws:lambda/function:Function", "probe")}
    variables = lambda_client.get_function_configuration(
        FunctionName=first.outputs["functionName"]
    )["Environment"]["Variables"]
    assert variables["FIRESTORE_EMULATOR_HOST"] == "127.0.0.1:18080"


def test_functions_are_active_when_a_deploy_returns(cloud, tmp_path, lambda_client):
    root, state = tmp_path / "code", tmp_path / "deploy.json"
    _write_app(root, 7)
    first = _deploy(cloud, root, state)
    name = first.outputs["functionName"]
    created = lambda_client.get_function_configuration(FunctionName=name)

    _write_app(root, 8)
    _deploy(cloud, root, state)
    updated = lambda_client.get_function_configuration(FunctionName=name)

    assert (created["State"], created["LastUpdateStatus"]) == ("Active", "Successful")
    assert (updated["State"], updated["LastUpdateStatus"]) == ("Active", "Successful")
