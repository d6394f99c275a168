"""The engine knows every resource type the components declare, and refuses the ones it doesn't.

No emulator is needed: the coverage check runs the reference program under plain recording
mocks for every stack, and an unknown type fails before anything reaches the local cloud.
"""

from __future__ import annotations

import pulumi
import pytest

from hybridstack.emulators.deploy import DeployError, UnknownResourceTypeError, deploy_local_stack
from hybridstack.emulators.deploy.not_emulated import NOT_EMULATED
from hybridstack.emulators.deploy.registry import covered_types, load_handlers
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.testing import run_under_mocks
from reference_platform.program import build_platform
from tests.examples.architectures import run_example
from tests.examples.test_architectures import ARCHITECTURES
from tests.repository import REPOSITORY
from tests.unit.program.stacks import STACKS, stack_config


@pytest.fixture(scope="module")
def declared_types() -> dict[str, set[str]]:
    """type token -> the stacks of the reference platform that declare it."""
    found: dict[str, set[str]] = {}
    for stack in STACKS:
        resources = run_under_mocks(
            lambda: build_platform().export(), stack=stack, config=stack_config(stack)
        )
        for resource in resources:
            if resource.custom:
                found.setdefault(resource.type, set()).add(stack)
    return found


def test_every_type_of_every_stack_is_created_or_reported(declared_types):
    uncovered = {t: sorted(s) for t, s in declared_types.items() if t not in covered_types()}

    assert not uncovered, f"types the local deploy engine does not cover: {uncovered}"


@pytest.mark.parametrize("example", ARCHITECTURES)
def test_every_type_of_the_example_programs_is_created_or_reported(example):
    for stack in ("dev", "prod", "local"):
        resources = run_example(example, stack).resources
        declared = {r.type for r in resources if r.custom}

        assert declared <= covered_types(), (example, stack, sorted(declared - covered_types()))


def test_the_local_stack_creates_its_core_for_real(declared_types):
    local = {t for t, stacks in declared_types.items() if "local" in stacks}
    created = local - set(NOT_EMULATED)

    for essential in (
        "aws:lambda/function:Function",
        "aws:lambda/layerVersion:LayerVersion",
        "aws:apigatewayv2/route:Route",
        "aws:apigatewayv2/authorizer:Authorizer",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:s3/bucketNotification:BucketNotification",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:cloudwatch/eventTarget:EventTarget",
        "gcp:pubsub/subscription:Subscription",
        "gcp:storage/bucket:Bucket",
        "gcp:firebaserules/release:Release",
    ):
        assert essential in created


def test_no_type_is_both_created_and_not_emulated():
    handlers = load_handlers()
    for type_token in NOT_EMULATED:
        assert handlers[type_token].__name__ == "not_emulated"
    assert all(reason for reason in NOT_EMULATED.values())


def test_an_unknown_type_is_an_error_naming_it_and_the_resource(tmp_path):
    def program() -> None:
        pulumi.CustomResource("acme:widgets/widget:Widget", "gizmo", {"size": 3})

    with pytest.raises(UnknownResourceTypeError) as raised:
        deploy_local_stack(
            LocalCloudEndpoints(),
            project_dir=REPOSITORY,
            program=program,
            state_path=tmp_path / "deploy.json",
        )

    assert "acme:widgets/widget:Widget" in str(raised.value)
    assert "'gizmo'" in str(raised.value)
    assert not (tmp_path / "deploy.json").exists()


def test_a_cloud_of_another_project_is_refused_naming_both(tmp_path):
    with pytest.raises(DeployError) as raised:
        deploy_local_stack(
            LocalCloudEndpoints(project_id="demo-other"),
            project_dir=REPOSITORY,
            program=lambda: None,
            state_path=tmp_path / "deploy.json",
        )

    assert "'demo-hybridstack'" in str(raised.value)
    assert "'demo-other'" in str(raised.value)
