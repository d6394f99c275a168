"""Function: a Python Lambda built from the services code, least privilege through its links.

A Function packages only what its handler needs from the code root (the ancestors'
``__init__.py`` files and the handler's service package tree, ``hybridstack/services/...`` by
default) exactly as Lambda imports it, puts third-party dependencies in a :class:`PythonLayer`,
and creates around it:

- a CloudWatch log group with retention (7 days dev / 30 days prod unless told), JSON logs;
- an IAM role whose policy holds exactly: what its ``link`` entries grant, writing to its own
  log group, and sending to its own dead-letter queue (plus what triggers add, e.g. consuming
  the queue it is subscribed to);
- an encrypted SQS dead-letter queue as the on-failure destination of asynchronous invocations
  (``FunctionEventInvokeConfig``), so failed events are kept, never dropped;
- environment variables from its links (``UPLOADS_QUEUE_URL``, ...) and ``environment``.

Defaults: arm64, python3.12, 256 MB, 15 s timeout. On a local stack (``local``, ``local-*``) the
architecture, runtime and the default layer follow the host instead, because the local cloud
(MiniStack) runs Lambdas on its own interpreter (x86_64 / python3.11 here).

A Function is itself linkable: linking it to another Function grants ``lambda:InvokeFunction``
on it only and sets ``<NAME>_FUNCTION_NAME`` / ``<NAME>_FUNCTION_ARN``.

Example:
    jobs = Queue("jobs")
    deps = PythonLayer("deps")
    worker = Function("worker", {
        "handler": "hybridstack.services.media.handler.process",
        "link": [jobs],
        "layer": deps,
        "timeout": 60,
    })
    jobs.subscribe(worker, batch_size=5)
    api_fn = Function("api", {"handler": "hybridstack.services.api.handler.handle",
                              "link": [worker], "layer": deps})
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.link import (
    IamStatement,
    Linkable,
    LinkSpec,
    env_prefix,
    resolve_link,
)
from hybridstack.components.policy_document import assume_role_policy, policy_document
from hybridstack.components.python_layer import (
    ARCHITECTURES,
    PythonLayer,
    host_layer_args,
    shared_layer,
)
from hybridstack.components.stack_defaults import is_local, log_retention_days

RUNTIMES: tuple[str, ...] = ("python3.11", "python3.12", "python3.13")

_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_RESERVED_ENV = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION",
        "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)  # fmt: skip
_SKIP_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", "tests", "node_modules"})


class FunctionArgs(TypedDict, total=False):
    """How to build and run one Lambda."""

    handler: str
    """Dotted path of the handler: ``hybridstack.services.health.handler.handle`` (required)."""
    code_root: str
    """Directory the handler's top package lives in (default: the one holding ``hybridstack``)."""
    include: Sequence[str]
    """Dotted packages to ship whole (default: the handler's first two levels,
    ``hybridstack.services``); ancestors' ``__init__.py`` files are always shipped."""
    link: Sequence[Linkable | LinkSpec]
    """Capabilities to grant: each adds least-privilege IAM statements and environment variables."""
    environment: Mapping[str, pulumi.Input[str]]
    """Extra environment variables (a name also set by a link is an error)."""
    runtime: str
    """``python3.12`` (default; the host's Python on local stacks), python3.11 or 3.13."""
    architecture: Literal["arm64", "x86_64"]
    """``arm64`` (default, Graviton; the host's CPU on local stacks) or ``x86_64``."""
    memory: int
    """Memory in MB, 128-10240 (default 256)."""
    timeout: int
    """Timeout in seconds, 1-900 (default 15). Queues derive their visibility timeout from it."""
    reserved_concurrency: int
    """Reserved concurrent executions (default: unreserved)."""
    layer: PythonLayer | pulumi.Input[str] | bool
    """Dependencies: a PythonLayer, a layer ARN, ``True`` (default: the program's shared layer
    built from ``services/requirements.lock`` for this platform), or ``False`` (none)."""
    layers: Sequence[pulumi.Input[str]]
    """Further layer ARNs (e.g. the Powertools public layer)."""
    log_retention_days: int
    """Log retention in days (default 7, or 30 on production stacks)."""
    dead_letter: bool | pulumi.Input[str]
    """On-failure destination of async invocations: ``True`` (default: a new encrypted SQS
    queue), an SQS queue/SNS topic ARN, or ``False`` (only for synchronously invoked code)."""
    max_async_retries: int
    """Retries of failed asynchronous invocations, 0-2 (default 2)."""
    max_event_age_seconds: int
    """How long an async event may wait before it goes to the DLQ, 60-21600 (default 6 h)."""
    tracing: bool
    """X-Ray active tracing (default False)."""
    description: str
    """The function's description."""
    tags: Mapping[str, str]
    """Tags for every child resource."""


def parse_handler(handler: str) -> tuple[str, str]:
    """``pkg.mod.func`` -> (``pkg.mod``, ``func``); raises ValueError for anything else."""
    parts = handler.split(".") if isinstance(handler, str) else []
    if len(parts) < 2 or not all(p.isidentifier() for p in parts):
        raise ValueError(
            f"handler={handler!r} must be a dotted path 'package.module.function' "
            "(e.g. 'hybridstack.services.health.handler.handle')"
        )
    return ".".join(parts[:-1]), parts[-1]


def module_file(code_root: Path | None, module: str) -> Path | None:
    """The file defining ``module``: ``a/b.py`` or ``a/b/__init__.py`` under ``code_root``, or,
    without a ``code_root``, wherever the import system finds it (a checkout or site-packages)."""
    if code_root is None:
        try:
            spec = importlib.util.find_spec(module)
        except ImportError:  # a parent package is missing
            return None
        return Path(spec.origin) if spec is not None and spec.origin else None
    base = code_root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_init(code_root: Path | None, package: str) -> Path | None:
    """The ``__init__.py`` of ``package``, or None when ``package`` is not a regular package."""
    found = module_file(code_root, package)
    return found if found is not None and found.name == "__init__.py" else None


def _archive_path(dotted: str, file: Path) -> str:
    """Where ``file`` (defining ``dotted``) goes: ``a/b.py`` or ``a/b/__init__.py``."""
    base = dotted.replace(".", "/")
    return f"{base}/__init__.py" if file.name == "__init__.py" else f"{base}.py"


def package_files(
    code_root: Path | None, handler: str, include: Sequence[str] = ()
) -> dict[str, Path]:
    """The files of the deployment package: archive path -> file on disk.

    Holds every ancestor package's ``__init__.py`` of the handler module, the handler module,
    and the whole tree of each ``include`` package (default: the handler's first two levels),
    without caches or tests. Modules are looked up under ``code_root``, or through the import
    system when it is None. Raises ValueError naming what is missing.
    """
    module, _ = parse_handler(handler)
    where = f"under {code_root}" if code_root is not None else "on the import path"
    handler_file = module_file(code_root, module)
    if handler_file is None:
        raise ValueError(
            f"handler={handler!r}: module {module!r} not found {where} "
            f"(looked for {Path(*module.split('.'))}.py and {Path(*module.split('.'))}/__init__.py)"
        )
    parts = module.split(".")
    files: dict[str, Path] = {}
    for depth in range(1, len(parts)):
        package = ".".join(parts[:depth])
        init = _package_init(code_root, package)
        if init is None:
            raise ValueError(
                f"handler={handler!r}: {package!r} is not a package (no __init__.py {where})"
            )
        files[_archive_path(package, init)] = init
    files[_archive_path(module, handler_file)] = handler_file
    default = ".".join(parts[:2])
    if not include and _package_init(code_root, default) is None:
        default = ""  # a single-module handler: ship only that module
    packages = list(include) or ([default] if default else [])
    for package in packages:
        init = _package_init(code_root, package)
        if init is None:
            raise ValueError(f"include={package!r}: no package {where}")
        directory = init.parent
        for parent in range(1, len(package.split("."))):
            ancestor = ".".join(package.split(".")[:parent])
            ancestor_init = _package_init(code_root, ancestor)
            if ancestor_init is not None:
                files[_archive_path(ancestor, ancestor_init)] = ancestor_init
        for dirpath, dirnames, filenames in os.walk(directory, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and d[0] != ".")
            for filename in sorted(filenames):
                if filename.endswith((".pyc", ".pyo")) or filename.startswith("."):
                    continue
                path = Path(dirpath) / filename
                relative = Path(package.replace(".", "/")) / path.relative_to(directory)
                files[relative.as_posix()] = path
    return dict(sorted(files.items()))


def merge_environment(
    specs: Sequence[LinkSpec], extra: Mapping[str, pulumi.Input[str]], *, owner: str
) -> dict[str, pulumi.Input[str]]:
    """The function's variables: every link's, then ``extra``; a name set twice is an error."""
    merged: dict[str, pulumi.Input[str]] = {}
    sources: dict[str, str] = {}
    labelled = [(f"link #{i + 1}", dict(s.environment)) for i, s in enumerate(specs)]
    for source, variables in [*labelled, ("environment", dict(extra))]:
        for key, value in variables.items():
            if not _ENV_NAME.match(key) or key in _RESERVED_ENV:
                raise ComponentArgsError(
                    f"{owner}: {source} sets environment variable {key!r}, which Lambda "
                    "reserves or does not accept (letters, digits, _; starting with a letter)"
                )
            if key in merged:
                raise ComponentArgsError(
                    f"{owner}: environment variable {key!r} is set by both {sources[key]} and "
                    f"{source}; rename one (links derive names from component names)"
                )
            merged[key] = value
            sources[key] = source
    return merged


def _check_range(owner: str, arg: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ComponentArgsError(f"{owner}: {arg}={value!r} must be an integer in {low}..{high}")


@dataclass(frozen=True)
class ExistingFunction:
    """A function created elsewhere, linkable like a Function (``Function.from_existing``)."""

    name: str
    arn: pulumi.Input[str]
    function_name: pulumi.Input[str]

    def link_spec(self) -> LinkSpec:
        """Invoke it only; ``<NAME>_FUNCTION_NAME`` and ``<NAME>_FUNCTION_ARN``."""
        prefix = env_prefix(self.name)
        return LinkSpec(
            statements=[IamStatement(["lambda:InvokeFunction"], [self.arn])],
            environment={
                f"{prefix}_FUNCTION_NAME": self.function_name,
                f"{prefix}_FUNCTION_ARN": self.arn,
            },
        )


class Function(HybridComponent):
    """A Python Lambda from the services code with its log group, role, DLQ and links.

    Example:
        fn = Function("health", {"handler": "hybridstack.services.health.handler.handle",
                                 "layer": False})
        pulumi.export("function", fn.function_name)
    """

    TYPE = "hybridstack:aws:Function"
    CHILD_ROLES = (
        "log_group", "role", "policy", "dead_letter_queue", "function",
        "event_invoke_config", "permission",
    )  # fmt: skip

    arn: pulumi.Output[str]
    """The function ARN."""
    function_name: pulumi.Output[str]
    """The physical function name."""
    invoke_arn: pulumi.Output[str]
    """The ARN API Gateway integrations invoke."""
    role_arn: pulumi.Output[str]
    """The execution role's ARN."""
    log_group_name: pulumi.Output[str]
    """The log group the function writes to."""
    dead_letter_arn: pulumi.Output[str] | None
    """Where failed asynchronous invocations go (None when ``dead_letter=False``)."""

    def __init__(
        self,
        name: str,
        args: FunctionArgs,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"Function {name!r}"
        a: dict[str, Any] = dict(args or {})
        handler = a.get("handler")
        if not handler:
            raise ComponentArgsError(f"{owner}: handler is required (e.g. 'pkg.module.function')")
        code_root = Path(a["code_root"]) if a.get("code_root") else None
        try:
            files = package_files(code_root, handler, a.get("include", ()))
        except ValueError as error:
            raise ComponentArgsError(f"{owner}: {error}") from None
        local = is_local()
        host = host_layer_args() if local else None
        runtime = a.get("runtime", f"python{host['python_version']}" if host else "python3.12")
        if runtime not in RUNTIMES:
            raise ComponentArgsError(
                f"{owner}: runtime={runtime!r}; use one of {', '.join(RUNTIMES)}"
            )
        architecture = a.get("architecture", host["architecture"] if host else "arm64")
        if architecture not in ARCHITECTURES:
            raise ComponentArgsError(
                f"{owner}: architecture={architecture!r}; use one of {', '.join(ARCHITECTURES)}"
            )
        memory = a.get("memory", 256)
        _check_range(owner, "memory", memory, 128, 10240)
        self.timeout_seconds: int = a.get("timeout", 15)
        _check_range(owner, "timeout", self.timeout_seconds, 1, 900)
        reserved = a.get("reserved_concurrency")
        if reserved is not None:
            _check_range(owner, "reserved_concurrency", reserved, 0, 100_000)
        retries = a.get("max_async_retries", 2)
        _check_range(owner, "max_async_retries", retries, 0, 2)
        max_age = a.get("max_event_age_seconds", 21600)
        _check_range(owner, "max_event_age_seconds", max_age, 60, 21600)
        retention = log_retention_days(a.get("log_retention_days"), owner=owner)
        layer = a.get("layer", True)
        if isinstance(layer, PythonLayer) and (
            layer.architecture != architecture or f"python{layer.python_version}" != runtime
        ):
            raise ComponentArgsError(
                f"{owner}: layer {layer.component_name!r} is built for {layer.architecture}/"
                f"python{layer.python_version} but the function runs {architecture}/{runtime}"
            )
        try:
            specs = [resolve_link(item) for item in a.get("link", ())]
        except TypeError as error:
            raise ComponentArgsError(f"{owner}: link: {error}") from None
        environment = merge_environment(specs, a.get("environment", {}), owner=owner)
        dead_letter = a.get("dead_letter", True)
        tags = dict(a.get("tags", {}))

        super().__init__(name, transform=transform, opts=opts)
        self.architecture = architecture
        self.runtime = runtime
        self.handler = handler
        self.package_files = files

        log_group = self.child(
            "log_group",
            aws.cloudwatch.LogGroup,
            name,
            {"name_prefix": f"/aws/lambda/{name}-", "retention_in_days": retention, "tags": tags},
        )
        role = self.child(
            "role",
            aws.iam.Role,
            name,
            {
                "assume_role_policy": assume_role_policy("lambda.amazonaws.com"),
                "description": f"Execution role of the {name} function (hybridstack)",
                "tags": tags,
            },
        )
        self._role = role

        statements: list[IamStatement] = [
            IamStatement(
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [log_group.arn.apply(lambda arn: f"{arn}:*")],
            )
        ]
        self.dead_letter_arn = None
        if dead_letter is True:
            dlq = self.child(
                "dead_letter_queue",
                aws.sqs.Queue,
                f"{name}-dlq",
                {
                    "sqs_managed_sse_enabled": True,
                    "message_retention_seconds": 1_209_600,
                    "tags": tags,
                },
            )
            self.dead_letter_queue: aws.sqs.Queue | None = dlq
            self.dead_letter_arn = dlq.arn
            statements.append(IamStatement(["sqs:SendMessage"], [dlq.arn]))
        elif dead_letter is not False:
            self.dead_letter_queue = None
            self.dead_letter_arn = pulumi.Output.from_input(dead_letter)
            statements.append(
                IamStatement(
                    ["sqs:SendMessage", "sns:Publish"], [pulumi.Output.from_input(dead_letter)]
                )
            )
        else:
            self.dead_letter_queue = None
        for spec in specs:
            statements.extend(spec.statements)
        if a.get("tracing"):
            # X-Ray segments are not resources: AWS only accepts "*" here.
            statements.append(
                IamStatement(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"])
            )
        policy = self.child(
            "policy",
            aws.iam.RolePolicy,
            name,
            {"role": role.id, "policy": policy_document(statements)},
        )

        layer_arns: list[pulumi.Input[str]] = []
        if layer is True:
            python_version = runtime.removeprefix("python")
            on_host = host is not None and (architecture, python_version) == (
                host["architecture"],
                host["python_version"],
            )
            manylinux = host["manylinux"] if host is not None and on_host else None
            layer_arns.append(shared_layer(architecture, python_version, manylinux).arn)
        elif isinstance(layer, PythonLayer):
            layer_arns.append(layer.arn)
        elif layer is not False:
            layer_arns.append(layer)  # an ARN
        layer_arns.extend(a.get("layers", ()))

        code = pulumi.AssetArchive({path: pulumi.FileAsset(str(f)) for path, f in files.items()})
        function_args: dict[str, Any] = {
            "runtime": runtime,
            "architectures": [architecture],
            "handler": handler,
            "code": code,
            "role": role.arn,
            "memory_size": memory,
            "timeout": self.timeout_seconds,
            "layers": layer_arns,
            "logging_config": {"log_format": "JSON", "log_group": log_group.name},
            "description": a.get("description", f"{handler} (hybridstack)"),
            "tags": tags,
        }
        if environment:
            function_args["environment"] = {"variables": environment}
        if reserved is not None:
            function_args["reserved_concurrent_executions"] = reserved
        if a.get("tracing"):
            function_args["tracing_config"] = {"mode": "Active"}
        function = self.child(
            "function",
            aws.lambda_.Function,
            name,
            function_args,
            opts=pulumi.ResourceOptions(depends_on=[policy, log_group]),
        )
        self.function = function
        if self.dead_letter_arn is not None:
            self.child(
                "event_invoke_config",
                aws.lambda_.FunctionEventInvokeConfig,
                name,
                {
                    "function_name": function.name,
                    "maximum_retry_attempts": retries,
                    "maximum_event_age_in_seconds": max_age,
                    "destination_config": {"on_failure": {"destination": self.dead_letter_arn}},
                },
            )

        self.arn = function.arn
        self.function_name = function.name
        self.invoke_arn = function.invoke_arn
        self.role_arn = role.arn
        self.role_name = role.name
        self.log_group_name = log_group.name
        self._extra_policies = 0
        self._permissions: set[str] = set()
        outputs: dict[str, Any] = {
            "arn": self.arn,
            "function_name": self.function_name,
            "invoke_arn": self.invoke_arn,
            "role_arn": self.role_arn,
            "log_group_name": self.log_group_name,
        }
        if self.dead_letter_arn is not None:
            outputs["dead_letter_arn"] = self.dead_letter_arn
        self.register_outputs(outputs)

    @staticmethod
    def from_existing(
        name: str, *, arn: pulumi.Input[str], function_name: pulumi.Input[str]
    ) -> ExistingFunction:
        """Adopt a function made elsewhere: linkable for invoke, nothing is created."""
        return ExistingFunction(name, arn, function_name)

    def link_spec(self) -> LinkSpec:
        """Invoke this function only; ``<NAME>_FUNCTION_NAME`` and ``<NAME>_FUNCTION_ARN``."""
        prefix = env_prefix(self.component_name)
        return LinkSpec(
            statements=[IamStatement(["lambda:InvokeFunction"], [self.arn])],
            environment={
                f"{prefix}_FUNCTION_NAME": self.function_name,
                f"{prefix}_FUNCTION_ARN": self.arn,
            },
        )

    def grant(self, label: str, statements: Sequence[IamStatement]) -> aws.iam.RolePolicy:
        """Add statements a trigger needs (e.g. consuming a queue) as a separate role policy.

        ``label`` names the policy (``consume-jobs``); each label may be used once.
        """
        resource_name = f"{self.component_name}-{label}"
        if resource_name in self._permissions:
            raise ComponentArgsError(f"Function {self.component_name!r}: grant {label!r} exists")
        self._permissions.add(resource_name)
        return self.child(
            "policy",
            aws.iam.RolePolicy,
            resource_name,
            {"role": self._role.id, "policy": policy_document(statements)},
        )

    def allow_invoke_from(
        self,
        label: str,
        principal: str,
        source_arn: pulumi.Input[str],
        *,
        source_account: pulumi.Input[str] | None = None,
    ) -> aws.lambda_.Permission:
        """Let ``principal`` (``apigateway.amazonaws.com``, ``events.amazonaws.com``, ...) invoke
        this function, only from ``source_arn`` (a resource policy statement)."""
        if not principal or principal == "*":
            raise ComponentArgsError(
                f"Function {self.component_name!r}: allow_invoke_from needs a named principal"
            )
        resource_name = f"{self.component_name}-{label}"
        if resource_name in self._permissions:
            raise ComponentArgsError(
                f"Function {self.component_name!r}: invoke permission {label!r} exists"
            )
        self._permissions.add(resource_name)
        args: dict[str, Any] = {
            "action": "lambda:InvokeFunction",
            "function": self.function.name,
            "principal": principal,
            "source_arn": source_arn,
        }
        if source_account is not None:
            args["source_account"] = source_account
        return self.child("permission", aws.lambda_.Permission, resource_name, args)
