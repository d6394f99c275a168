"""Function: packaging, least-privilege role, DLQ, log retention, links, architecture."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pulumi
import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.function import Function
from hybridstack.components.link import IamStatement, LinkSpec
from hybridstack.components.packaging import package_files, parse_handler
from hybridstack.components.python_layer import PythonLayer
from hybridstack.components.queue import Queue
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks
from tests.unit.components.aws_helpers import (
    actions_on,
    all_resources,
    make_code_root,
    policy_statements,
)


@pytest.fixture
def code_root(tmp_path: Path) -> Path:
    return make_code_root(tmp_path)


def _fn(code_root: Path, name: str = "api", **extra: Any) -> Function:
    args: dict[str, Any] = {
        "handler": "app.svc.health.handler.handle",
        "code_root": str(code_root),
        "layer": False,
    }
    args.update(extra)
    return Function(name, args)


def test_package_ships_ancestors_and_the_service_tree_only(code_root: Path) -> None:
    files = package_files(code_root, "app.svc.health.handler.handle")
    assert sorted(files) == [
        "app/__init__.py",
        "app/svc/__init__.py",
        "app/svc/health/__init__.py",
        "app/svc/health/handler.py",
        "app/svc/media/__init__.py",
        "app/svc/media/handler.py",
        "app/svc/shared.py",
    ]
    narrow = package_files(code_root, "app.svc.health.handler.handle", ["app.svc.health"])
    assert "app/svc/media/handler.py" not in narrow
    assert "app/svc/__init__.py" in narrow


def test_missing_handler_module_names_the_handler_and_the_paths(code_root: Path) -> None:
    with pytest.raises(ComponentArgsError, match=r"handler='app.svc.nope.handler.handle'.*nope"):
        _fn(code_root, handler="app.svc.nope.handler.handle")
    with pytest.raises(ValueError, match="dotted path"):
        parse_handler("handle")


def test_without_a_code_root_the_handler_is_found_where_python_imports_it() -> None:
    import hybridstack.services

    files = package_files(None, "hybridstack.services.api.handler.handle")
    assert "hybridstack/__init__.py" in files
    assert files["hybridstack/services/__init__.py"] == Path(hybridstack.services.__file__)
    assert "hybridstack/services/common/settings.py" in files  # the handler's first two levels
    assert not any(path.startswith("hybridstack/components") for path in files)


def test_role_holds_exactly_the_linked_queue_its_log_group_and_its_dlq(code_root: Path) -> None:
    def program() -> None:
        jobs = Queue("jobs")
        _fn(code_root, link=[jobs])

    resources = run_under_mocks(program)
    (policy,) = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    statements = policy_statements(policy)
    queues = {q.name: q for q in of_type(resources, "aws:sqs/queue:Queue")}
    jobs_arn = queues["jobs"].outputs["arn"]
    dlq_arn = queues["api-dlq"].outputs["arn"]
    (log_group,) = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert all_resources(statements) == {jobs_arn, dlq_arn, f"{log_group.outputs['arn']}:*"}
    assert "*" not in all_resources(statements)
    assert not any(a.endswith("*") for s in statements for a in s["Action"])
    assert actions_on(statements, jobs_arn) >= {"sqs:SendMessage", "sqs:ReceiveMessage"}
    assert actions_on(statements, dlq_arn) == {"sqs:SendMessage"}
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert function.inputs["environment"]["variables"] == {
        "JOBS_QUEUE_URL": queues["jobs"].outputs["url"]
    }


def test_defaults_arm64_python312_json_logs_and_async_dlq(code_root: Path) -> None:
    resources = run_under_mocks(lambda: _fn(code_root))
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert function.inputs["architectures"] == ["arm64"]
    assert function.inputs["runtime"] == "python3.12"
    assert function.inputs["handler"] == "app.svc.health.handler.handle"
    (log_group,) = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert function.inputs["loggingConfig"] == {
        "logFormat": "JSON",
        "logGroup": log_group.outputs["name"],
    }
    (config,) = of_type(resources, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    (dlq,) = of_type(resources, "aws:sqs/queue:Queue")
    assert config.inputs["destinationConfig"]["onFailure"]["destination"] == dlq.outputs["arn"]
    assert dlq.inputs["sqsManagedSseEnabled"] is True
    assert "layers" not in function.inputs or function.inputs["layers"] == []


@pytest.mark.parametrize(("stack", "days"), [("dev", 7), ("prod", 30), ("local", 7)])
def test_log_retention_follows_the_stack(code_root: Path, stack: str, days: int) -> None:
    resources = run_under_mocks(lambda: _fn(code_root), stack=stack)
    (log_group,) = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["retentionInDays"] == days


def test_log_retention_override_and_invalid_value(code_root: Path) -> None:
    resources = run_under_mocks(lambda: _fn(code_root, log_retention_days=90))
    assert of_type(resources, "aws:cloudwatch/logGroup:LogGroup")[0].inputs["retentionInDays"] == 90
    with pytest.raises(ComponentArgsError, match=r"log_retention_days=10; use one of 1, 3, 5, 7"):
        run_under_mocks(lambda: _fn(code_root, log_retention_days=10))


@pytest.mark.parametrize(
    ("arg", "value", "message"),
    [
        ("timeout", 901, r"timeout=901 must be an integer in 1\.\.900"),
        ("memory", 64, r"memory=64"),
        ("architecture", "arm", r"architecture='arm'; use one of 'arm64', 'x86_64'"),
        ("runtime", "python3.9", r"runtime='python3.9'"),
        ("environment", {"AWS_REGION": "x"}, r"'AWS_REGION', which Lambda reserves"),
    ],
)
def test_bad_arguments_are_named_before_anything_registers(
    code_root: Path, arg: str, value: Any, message: str
) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(lambda: _fn(code_root, **{arg: value}), mocks=mocks)
    assert mocks.resources == []


def test_two_links_setting_the_same_variable_is_an_error(code_root: Path) -> None:
    first = LinkSpec(environment={"TOKEN": "a"})
    second = LinkSpec(environment={"TOKEN": "b"})
    with pytest.raises(ComponentArgsError, match=r"'TOKEN' is set by both link #1 and link #2"):
        run_under_mocks(lambda: _fn(code_root, link=[first, second]))


def test_a_function_is_linkable_for_invoke_only(code_root: Path) -> None:
    def program() -> None:
        worker = _fn(code_root, "worker", handler="app.svc.media.handler.process")
        _fn(code_root, "api", link=[worker])

    resources = run_under_mocks(program)
    functions = {f.name: f for f in of_type(resources, "aws:lambda/function:Function")}
    worker_arn = functions["worker"].outputs["arn"]
    policies = {p.name: p for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")}
    statements = policy_statements(policies["api"])
    assert actions_on(statements, worker_arn) == {"lambda:InvokeFunction"}
    assert functions["api"].inputs["environment"]["variables"] == {
        "WORKER_FUNCTION_NAME": functions["worker"].outputs["name"],
        "WORKER_FUNCTION_ARN": worker_arn,
    }


def test_allow_invoke_from_names_principal_and_source(code_root: Path) -> None:
    def program() -> None:
        fn = _fn(code_root)
        fn.allow_invoke_from("events", "events.amazonaws.com", "arn:aws:events:::rule/x")

    resources = run_under_mocks(program)
    (permission,) = of_type(resources, "aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["sourceArn"] == "arn:aws:events:::rule/x"
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    with pytest.raises(ComponentArgsError, match="named principal"):
        run_under_mocks(lambda: _fn(code_root).allow_invoke_from("any", "*", "arn"))


def test_transform_reaches_the_function_child_only(code_root: Path) -> None:
    def bigger(args: dict[str, Any]) -> None:
        args["memory_size"] = 1024

    resources = run_under_mocks(
        lambda: Function(
            "api",
            {"handler": "app.svc.health.handler.handle", "code_root": str(code_root),
             "layer": False},
            transform={"function": bigger},
        )
    )  # fmt: skip
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert function.inputs["memorySize"] == 1024
    with pytest.raises(ComponentArgsError, match="the roles are: log_group, role"):
        _fn_with_transform(code_root, {"lambda": bigger})


def _fn_with_transform(code_root: Path, transform: Any) -> Function:
    return Function(
        "api",
        {"handler": "app.svc.health.handler.handle", "code_root": str(code_root), "layer": False},
        transform=transform,
    )


def test_tracing_is_the_one_place_a_wildcard_resource_appears(code_root: Path) -> None:
    resources = run_under_mocks(lambda: _fn(code_root, tracing=True))
    statements = policy_statements(of_type(resources, "aws:iam/rolePolicy:RolePolicy")[0])
    wildcard = [s for s in statements if "*" in s["Resource"]]
    assert [sorted(s["Action"]) for s in wildcard] == [
        ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    ]


def test_dead_letter_false_creates_no_dlq_and_no_invoke_config(code_root: Path) -> None:
    resources = run_under_mocks(lambda: _fn(code_root, dead_letter=False))
    assert of_type(resources, "aws:sqs/queue:Queue") == []
    invoke_configs = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
    assert of_type(resources, invoke_configs) == []


def test_prebuilt_layer_archive_and_arn(code_root: Path, tmp_path: Path) -> None:
    archive = tmp_path / "layer.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("python/dep.py", "")

    def program() -> None:
        deps = PythonLayer("deps", {"archive": pulumi.FileArchive(str(archive))})
        _fn(code_root, "a", layer=deps, layers=["arn:aws:lambda:us-east-1:1:layer:x:1"])
        _fn(code_root, "b", layer="arn:aws:lambda:us-east-1:1:layer:y:2")

    resources = run_under_mocks(program)
    (layer,) = of_type(resources, "aws:lambda/layerVersion:LayerVersion")
    assert layer.inputs["compatibleArchitectures"] == ["arm64"]
    assert layer.inputs["compatibleRuntimes"] == ["python3.12"]
    functions = {f.name: f for f in of_type(resources, "aws:lambda/function:Function")}
    assert functions["a"].inputs["layers"] == [
        layer.outputs["arn"],
        "arn:aws:lambda:us-east-1:1:layer:x:1",
    ]
    assert functions["b"].inputs["layers"] == ["arn:aws:lambda:us-east-1:1:layer:y:2"]


def test_layer_built_for_another_platform_is_refused(code_root: Path, tmp_path: Path) -> None:
    def program() -> None:
        deps = PythonLayer("deps", {"archive": pulumi.AssetArchive({}), "architecture": "x86_64"})
        _fn(code_root, layer=deps)

    with pytest.raises(ComponentArgsError, match=r"built for x86_64/python3\.12"):
        run_under_mocks(program)


def test_grant_adds_a_separate_policy_with_only_those_statements(code_root: Path) -> None:
    def program() -> None:
        fn = _fn(code_root)
        fn.grant("read-x", [IamStatement(["s3:GetObject"], ["arn:aws:s3:::x/*"])])

    resources = run_under_mocks(program)
    policies = {p.name: p for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")}
    assert policy_statements(policies["api-read-x"]) == [
        {"Action": ["s3:GetObject"], "Effect": "Allow", "Resource": ["arn:aws:s3:::x/*"]}
    ]
