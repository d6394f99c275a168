"""Function: a Python Lambda built from the services code, least privilege through its links.

A Function packages only what its handler needs from the code root (the ancestors'
``__init__.py`` files and the handler's service package tree, ``hybridstack/services/...`` by
default) exactly as Lambda imports it (see ``packaging.py``), puts third-party dependencies
in a :class:`PythonLayer`, and creates around it:

- a CloudWatch log group with retention (7 days dev / 30 days prod unless told), JSON logs;
- an IAM role whose policy holds exactly: what its ``link`` entries grant, writing to its own
  log group, and sending to its own dead-letter queue (plus what triggers add, e.g. consuming
  the queue it is subscribed to);
- an encrypted SQS dead-letter queue as the on-failure destination of asynchronous invocations
  (``FunctionEventInvokeConfig``), so failed events are kept, never dropped;
- environment variables from its links (``UPLOADS_QUEUE_URL``, ...) and ``environment``.

Each default is stated once, in :class:`FunctionArgs`. On a local stack (``local``, ``local-*``)
the architecture, runtime and the default layer follow the host instead, because the local cloud
(MiniStack) runs Lambdas on its own interpreter (x86_64 / python3.11 here).

A Function is itself linkable: linking it to another Function grants ``lambda:InvokeFunction``
on it only and sets ``<NAME>_FUNCTION_NAME`` / ``<NAME>_FUNCTION_ARN``.

Example:
    jobs = Queue("jobs")
    deps = PythonLayer("deps")
    worker = Function("worker", {
        "handler": "hybridstack.services.media.events.handle",
        "link": [jobs],
        "layer": deps,
        "timeout": 60,
    })
    jobs.subscribe(worker, batch_size=5)
    api_fn = Function("api", {"handler": "hybridstack.services.api.handler.handle",
                              "link": [worker], "layer": deps})
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, ComponentArgsError, in_range, one_of
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.dead_letter import create_dead_letter_queue
from hybridstack.components.link import (
    IamStatement,
    Linkable,
    LinkSpec,
    link_variable,
    resolve_link,
)
from hybridstack.components.packaging import code_archive, package_files, parse_handler
from hybridstack.components.policy_document import assume_role_policy, policy_document
from hybridstack.components.python_layer import (
    ARCHITECTURES,
    DEFAULT_ARCHITECTURE,
    DEFAULT_PYTHON_VERSION,
    PYTHON_VERSIONS,
    PythonLayer,
    host_layer_args,
    shared_layer,
)
from hybridstack.components.stack_defaults import (
    CLOUDWATCH_RETENTION_DAYS,
    is_local,
    log_retention_days,
)
from hybridstack.services.common.links import FUNCTION_ARN, FUNCTION_NAME

RUNTIMES: tuple[str, ...] = tuple(f"python{version}" for version in PYTHON_VERSIONS)
DEFAULT_RUNTIME = f"python{DEFAULT_PYTHON_VERSION}"
DEFAULT_MEMORY_MB = 256
DEFAULT_TIMEOUT_SECONDS = 15
DEFAULT_MAX_ASYNC_RETRIES = 2
DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600  # 6 hours, Lambda's maximum

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


@dataclass(frozen=True, kw_only=True)
class FunctionArgs(ComponentArgs):
    """How to build and run one Lambda."""

    handler: str
    """Dotted path of the handler: ``hybridstack.services.api.handler.handle`` (required)."""
    code_root: str | None = None
    """Directory the handler's top package lives in (default: found through the import system)."""
    include: Sequence[str] = ()
    """Dotted packages to ship whole (default: the handler's first two levels,
    ``hybridstack.services``); ancestors' ``__init__.py`` files are always shipped."""
    link: Sequence[Linkable | LinkSpec] = ()
    """Capabilities to grant: each adds least-privilege IAM statements and environment variables."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Extra environment variables (a name also set by a link is an error)."""
    runtime: str | None = None
    """``python3.11``, ``python3.12`` or ``python3.13`` (default ``DEFAULT_RUNTIME``; the host's
    Python on local stacks)."""
    architecture: str | None = None
    """``arm64`` or ``x86_64`` (default ``DEFAULT_ARCHITECTURE``, Graviton; the host's CPU on
    local stacks)."""
    memory: int = DEFAULT_MEMORY_MB
    """Memory in MB, 128-10240."""
    timeout: int = DEFAULT_TIMEOUT_SECONDS
    """Timeout in seconds, 1-900. Queues derive their visibility timeout from it."""
    reserved_concurrency: int | None = None
    """Reserved concurrent executions, 0-100000 (default: unreserved)."""
    layer: PythonLayer | pulumi.Input[str] | bool = True
    """Dependencies: ``True`` (the program's shared layer built from the services' lock file for
    this platform), a PythonLayer, a layer ARN, or ``False`` (none)."""
    layers: Sequence[pulumi.Input[str]] = ()
    """Further layer ARNs (e.g. the Powertools public layer)."""
    log_retention_days: int | None = None
    """Log retention in days, a value CloudWatch accepts (default: the stack's, 7 or 30 in
    production)."""
    dead_letter: bool | pulumi.Input[str] = True
    """On-failure destination of async invocations: ``True`` (a new encrypted SQS queue), an SQS
    queue/SNS topic ARN, or ``False`` (only for synchronously invoked code)."""
    max_async_retries: int = DEFAULT_MAX_ASYNC_RETRIES
    """Retries of failed asynchronous invocations, 0-2."""
    max_event_age_seconds: int = DEFAULT_MAX_EVENT_AGE_SECONDS
    """How long an async event may wait before it goes to the dead-letter queue, 60-21600."""
    tracing: bool = False
    """X-Ray active tracing."""
    description: str | None = None
    """The function's description (default: ``<handler> (hybridstack)``)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every child resource."""

    def __post_init__(self) -> None:
        try:
            parse_handler(self.handler)
        except ValueError as error:
            raise ComponentArgsError(str(error)) from None
        if self.runtime is not None:
            one_of("runtime", self.runtime, RUNTIMES)
        if self.architecture is not None:
            one_of("architecture", self.architecture, ARCHITECTURES)
        in_range("memory", self.memory, 128, 10_240)
        in_range("timeout", self.timeout, 1, 900)
        if self.reserved_concurrency is not None:
            in_range("reserved_concurrency", self.reserved_concurrency, 0, 100_000)
        in_range("max_async_retries", self.max_async_retries, 0, 2)
        in_range("max_event_age_seconds", self.max_event_age_seconds, 60, 21_600)
        if self.log_retention_days is not None:
            one_of("log_retention_days", self.log_retention_days, CLOUDWATCH_RETENTION_DAYS)


class FunctionTransforms(TypedDict, total=False):
    """Reshape a child of the Function before it is created (see ``HybridComponent``)."""

    log_group: Transform
    """``aws.cloudwatch.LogGroup``: the function's logs."""
    role: Transform
    """``aws.iam.Role``: the execution role."""
    policy: Transform
    """``aws.iam.RolePolicy``: the role's policy, and each ``grant`` a trigger adds."""
    dead_letter_queue: Transform
    """``aws.sqs.Queue``: where failed asynchronous invocations go (``dead_letter=True``)."""
    function: Transform
    """``aws.lambda_.Function``: the Lambda itself."""
    event_invoke_config: Transform
    """``aws.lambda_.FunctionEventInvokeConfig``: async retries and the on-failure destination."""
    permission: Transform
    """``aws.lambda_.Permission``: each ``allow_invoke_from`` statement."""


@dataclass(frozen=True)
class Platform:
    """Where a Function runs: its runtime, CPU and the wheels its default layer needs."""

    runtime: str
    architecture: str
    manylinux: str | None = None
    """The host's glibc level when the function runs on this host (local stacks), else None."""

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")


def function_platform(settings: FunctionArgs, *, local: bool) -> Platform:
    """The runtime and architecture as given, else the host's on local stacks (MiniStack runs
    Lambdas on its own interpreter), else the defaults."""
    if not local:
        return Platform(
            settings.runtime or DEFAULT_RUNTIME, settings.architecture or DEFAULT_ARCHITECTURE
        )
    host = host_layer_args()
    runtime = settings.runtime or f"python{host.python_version}"
    architecture = settings.architecture or host.architecture
    on_host = (architecture, runtime) == (host.architecture, f"python{host.python_version}")
    return Platform(runtime, architecture, host.manylinux if on_host else None)


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


def _invoke_spec(name: str, arn: pulumi.Input[str], function_name: pulumi.Input[str]) -> LinkSpec:
    """Invoke one function only; ``<NAME>_FUNCTION_NAME`` and ``<NAME>_FUNCTION_ARN``."""
    return LinkSpec(
        statements=[IamStatement(["lambda:InvokeFunction"], [arn])],
        environment={
            link_variable(name, FUNCTION_NAME): function_name,
            link_variable(name, FUNCTION_ARN): arn,
        },
    )


@dataclass(frozen=True)
class ExistingFunction:
    """A function created elsewhere, linkable like a Function (``Function.from_existing``)."""

    name: str
    arn: pulumi.Input[str]
    function_name: pulumi.Input[str]

    def link_spec(self) -> LinkSpec:
        """Invoke it only; ``<NAME>_FUNCTION_NAME`` and ``<NAME>_FUNCTION_ARN``."""
        return _invoke_spec(self.name, self.arn, self.function_name)


class Function(HybridComponent):
    """A Python Lambda from the services code with its log group, role, DLQ and links.

    Example:
        fn = Function("api", {"handler": "hybridstack.services.api.handler.handle",
                              "layer": False})
        pulumi.export("function", fn.function_name)
    """

    TYPE = "hybridstack:aws:Function"
    TRANSFORMS = FunctionTransforms

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
        args: FunctionArgs | Mapping[str, Any] | None = None,
        *,
        transform: FunctionTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"Function {name!r}"
        settings = FunctionArgs.parse(args, owner=owner)
        files = self._package(settings, owner)
        platform = self._platform(settings, owner)
        links = self._links(settings, owner)
        environment = merge_environment(links, settings.environment, owner=owner)
        super().__init__(name, transform=transform, opts=opts)
        self.handler = settings.handler
        self.package_files = files
        self.runtime = platform.runtime
        self.architecture = platform.architecture
        self.timeout_seconds: int = settings.timeout
        self._permissions: set[str] = set()

        log_group = self._create_log_group(settings)
        self._role = role = self._create_role(settings)
        self.dead_letter_queue = self._create_dead_letter_queue(settings)
        policy = self._create_policy(settings, role, log_group, links)
        self.function = self._create_function(
            settings, platform, files, environment, role, log_group, policy
        )
        self._create_event_invoke_config(settings)
        self._register(role, log_group)

    # -- checks before anything registers ---------------------------------------------------

    @staticmethod
    def _package(settings: FunctionArgs, owner: str) -> dict[str, Path]:
        """The archive's files; a missing handler module is refused, naming it."""
        code_root = Path(settings.code_root) if settings.code_root else None
        try:
            return package_files(code_root, settings.handler, settings.include)
        except ValueError as error:
            raise ComponentArgsError(f"{owner}: {error}") from None

    @staticmethod
    def _platform(settings: FunctionArgs, owner: str) -> Platform:
        """The platform; a PythonLayer built for another one is refused."""
        platform = function_platform(settings, local=is_local())
        layer = settings.layer
        if isinstance(layer, PythonLayer) and (
            layer.architecture != platform.architecture
            or f"python{layer.python_version}" != platform.runtime
        ):
            raise ComponentArgsError(
                f"{owner}: layer {layer.component_name!r} is built for {layer.architecture}/"
                f"python{layer.python_version} but the function runs "
                f"{platform.architecture}/{platform.runtime}"
            )
        return platform

    @staticmethod
    def _links(settings: FunctionArgs, owner: str) -> list[LinkSpec]:
        try:
            return [resolve_link(item) for item in settings.link]
        except TypeError as error:
            raise ComponentArgsError(f"{owner}: link: {error}") from None

    # -- creation steps ---------------------------------------------------------------------

    def _create_log_group(self, settings: FunctionArgs) -> aws.cloudwatch.LogGroup:
        name = self.component_name
        return self.child(
            "log_group",
            aws.cloudwatch.LogGroup,
            name,
            {
                "name_prefix": f"/aws/lambda/{name}-",
                "retention_in_days": log_retention_days(
                    settings.log_retention_days, owner=f"Function {name!r}"
                ),
                "tags": dict(settings.tags),
            },
        )

    def _create_role(self, settings: FunctionArgs) -> aws.iam.Role:
        name = self.component_name
        return self.child(
            "role",
            aws.iam.Role,
            name,
            {
                "assume_role_policy": assume_role_policy("lambda.amazonaws.com"),
                "description": f"Execution role of the {name} function (hybridstack)",
                "tags": dict(settings.tags),
            },
        )

    def _create_dead_letter_queue(self, settings: FunctionArgs) -> aws.sqs.Queue | None:
        """A new encrypted queue (``dead_letter=True``); sets ``dead_letter_arn``."""
        self.dead_letter_arn = None
        if settings.dead_letter is False:
            return None
        if settings.dead_letter is not True:
            self.dead_letter_arn = pulumi.Output.from_input(settings.dead_letter)
            return None
        queue = create_dead_letter_queue(self, settings.tags)
        self.dead_letter_arn = queue.arn
        return queue

    def _create_policy(
        self,
        settings: FunctionArgs,
        role: aws.iam.Role,
        log_group: aws.cloudwatch.LogGroup,
        links: Sequence[LinkSpec],
    ) -> aws.iam.RolePolicy:
        """Exactly: writing its logs, sending to its dead-letter target, what links grant."""
        statements = [
            IamStatement(
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [log_group.arn.apply(lambda arn: f"{arn}:*")],
            )
        ]
        if self.dead_letter_queue is not None:
            statements.append(IamStatement(["sqs:SendMessage"], [self.dead_letter_queue.arn]))
        elif self.dead_letter_arn is not None:
            statements.append(
                IamStatement(["sqs:SendMessage", "sns:Publish"], [self.dead_letter_arn])
            )
        for spec in links:
            statements.extend(spec.statements)
        if settings.tracing:
            # X-Ray segments are not resources: AWS only accepts "*" here.
            statements.append(
                IamStatement(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"])
            )
        return self.child(
            "policy",
            aws.iam.RolePolicy,
            self.component_name,
            {"role": role.id, "policy": policy_document(statements)},
        )

    @staticmethod
    def _layer_arns(settings: FunctionArgs, platform: Platform) -> list[pulumi.Input[str]]:
        """The dependency layer (shared, given, or none) and the further layers."""
        layer = settings.layer
        arns: list[pulumi.Input[str]] = []
        if layer is True:
            shared = shared_layer(platform.architecture, platform.python_version,
                                  platform.manylinux)  # fmt: skip
            arns.append(shared.arn)
        elif isinstance(layer, PythonLayer):
            arns.append(layer.arn)
        elif layer is not False:
            arns.append(layer)  # an ARN
        return [*arns, *settings.layers]

    def _create_function(
        self,
        settings: FunctionArgs,
        platform: Platform,
        files: Mapping[str, Path],
        environment: Mapping[str, pulumi.Input[str]],
        role: aws.iam.Role,
        log_group: aws.cloudwatch.LogGroup,
        policy: aws.iam.RolePolicy,
    ) -> aws.lambda_.Function:
        function_args: dict[str, Any] = {
            "runtime": platform.runtime,
            "architectures": [platform.architecture],
            "handler": settings.handler,
            "code": code_archive(files),
            "role": role.arn,
            "memory_size": settings.memory,
            "timeout": settings.timeout,
            "layers": self._layer_arns(settings, platform),
            "logging_config": {"log_format": "JSON", "log_group": log_group.name},
            "description": settings.description or f"{settings.handler} (hybridstack)",
            "tags": dict(settings.tags),
        }
        if environment:
            function_args["environment"] = {"variables": dict(environment)}
        if settings.reserved_concurrency is not None:
            function_args["reserved_concurrent_executions"] = settings.reserved_concurrency
        if settings.tracing:
            function_args["tracing_config"] = {"mode": "Active"}
        return self.child(
            "function",
            aws.lambda_.Function,
            self.component_name,
            function_args,
            opts=pulumi.ResourceOptions(depends_on=[policy, log_group]),
        )

    def _create_event_invoke_config(self, settings: FunctionArgs) -> None:
        """Async retries, then the dead-letter target (none without one)."""
        if self.dead_letter_arn is None:
            return
        self.child(
            "event_invoke_config",
            aws.lambda_.FunctionEventInvokeConfig,
            self.component_name,
            {
                "function_name": self.function.name,
                "maximum_retry_attempts": settings.max_async_retries,
                "maximum_event_age_in_seconds": settings.max_event_age_seconds,
                "destination_config": {"on_failure": {"destination": self.dead_letter_arn}},
            },
        )

    def _register(self, role: aws.iam.Role, log_group: aws.cloudwatch.LogGroup) -> None:
        self.arn = self.function.arn
        self.function_name = self.function.name
        self.invoke_arn = self.function.invoke_arn
        self.role_arn = role.arn
        self.role_name = role.name
        self.log_group_name = log_group.name
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

    # -- adoption, links and triggers -------------------------------------------------------

    @staticmethod
    def from_existing(
        name: str, *, arn: pulumi.Input[str], function_name: pulumi.Input[str]
    ) -> ExistingFunction:
        """Adopt a function made elsewhere: linkable for invoke, nothing is created."""
        return ExistingFunction(name, arn, function_name)

    def link_spec(self) -> LinkSpec:
        """Invoke this function only; ``<NAME>_FUNCTION_NAME`` and ``<NAME>_FUNCTION_ARN``."""
        return _invoke_spec(self.component_name, self.arn, self.function_name)

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
