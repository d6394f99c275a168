"""Lambda layers, functions, invoke permissions, event source mappings and async invoke configs.

Code and layers are the archives the Function and PythonLayer components declare (the same zips
AWS gets). MiniStack runs Python Lambdas on its own interpreter, which is why Function picks the
host's runtime and architecture on local stacks. A redeploy whose code hash differs calls
UpdateFunctionCode; a changed configuration calls UpdateFunctionConfiguration (each only when its
own part changed). A created or updated function is Pending for a while (MiniStack: a fixed
0.5 s); the deploy does not hold the function's dependents for that, it waits for every such
function to be Active once, at its end (:meth:`DeployContext.at_end`). Every function also
gets the local cloud's Google emulator addresses (``FIRESTORE_EMULATOR_HOST``, ...), as the
services' clients read them (:meth:`DeployContext.function_environment`).

Example:
    aws.lambda_.Function("api", code=AssetArchive({...}), handler=..., role=role.arn, ...)
        -> CreateFunction api-1a2b3c4 (or UpdateFunctionCode / UpdateFunctionConfiguration)
    aws.lambda_.EventSourceMapping("jobs", event_source_arn=queue.arn, function_name=fn.arn)
        -> CreateEventSourceMapping
"""

from __future__ import annotations

import json
import time
from typing import Any

from hybridstack.emulators.deploy.archives import archive_bytes, content_hash
from hybridstack.emulators.deploy.context import (
    DeployContext,
    create_or_replace,
    error_code,
    fail,
    update_or_create,
)
from hybridstack.emulators.deploy.naming import physical_name
from hybridstack.emulators.deploy.registry import (
    Created,
    Record,
    Resource,
    deleted_by,
    handles,
    recorded_output,
)
from hybridstack.emulators.deploy.shapes import given, integral, pascal

FUNCTION = "aws:lambda/function:Function"
LAYER = "aws:lambda/layerVersion:LayerVersion"
_ACTIVE_WAIT_SECONDS = 60.0
ARTIFACT_BUCKET = "hybridstack-deploy-artifacts"
"""Where archives above :data:`INLINE_LIMIT` are staged (as ``pulumi up`` stages big code in
S3): an S3 upload is binary, the inline ``ZipFile`` travels base64 in JSON (2.5x slower for the
44 MB dependency layer)."""
INLINE_LIMIT = 5 * 1024 * 1024


def code_location(ctx: DeployContext, data: bytes) -> dict[str, Any]:
    """``{"ZipFile": data}`` for small archives, else the archive staged in S3 by its hash."""
    if len(data) <= INLINE_LIMIT:
        return {"ZipFile": data}
    s3 = ctx.aws("s3")
    with ctx.lock:
        if ARTIFACT_BUCKET not in ctx.ready:
            try:
                s3.create_bucket(Bucket=ARTIFACT_BUCKET)
            except Exception as error:
                if error_code(error) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise
            ctx.ready.add(ARTIFACT_BUCKET)
    key = f"{content_hash(data)}.zip"
    s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=data)
    return {"S3Bucket": ARTIFACT_BUCKET, "S3Key": key}


def _delete_layer_version(ctx: DeployContext, record: Record) -> None:
    ctx.aws("lambda").delete_layer_version(
        LayerName=recorded_output(record, "layerArn"),
        VersionNumber=int(recorded_output(record, "version")),
    )


@handles(LAYER, delete=deleted_by(_delete_layer_version, order=3))
def layer_version(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    name = str(inputs.get("layerName") or ctx.name(resource))
    data = archive_bytes(inputs["code"], f"{resource.label} code")
    try:
        content = code_location(ctx, data)
    except Exception as error:
        raise fail(resource, f"staging the archive in s3://{ARTIFACT_BUCKET}", error) from error
    args: dict[str, Any] = {
        "LayerName": name,
        "Content": content,
        "Description": str(inputs.get("description") or ""),
    }
    if inputs.get("compatibleRuntimes"):
        args["CompatibleRuntimes"] = list(inputs["compatibleRuntimes"])
    if inputs.get("compatibleArchitectures"):
        args["CompatibleArchitectures"] = list(inputs["compatibleArchitectures"])
    try:
        published = ctx.aws("lambda").publish_layer_version(**args)
    except Exception as error:
        raise fail(resource, f"PublishLayerVersion {name}", error) from error
    arn = str(published["LayerVersionArn"])
    return Created(
        id=arn,
        outputs={
            "arn": arn,
            "layerArn": str(published.get("LayerArn") or arn.rsplit(":", 1)[0]),
            "version": str(published.get("Version", "1")),
            "codeSha256": str(published.get("Content", {}).get("CodeSha256", "")),
        },
    )


def _configuration(inputs: dict[str, Any], local: dict[str, str]) -> dict[str, Any]:
    """UpdateFunctionConfiguration / CreateFunction arguments other than name, code, arch.

    ``local`` (the emulators' addresses) is added under the function's own variables."""
    declared = {
        str(k): str(integral(v))
        for k, v in ((inputs.get("environment") or {}).get("variables") or {}).items()
    }
    config: dict[str, Any] = {
        "Role": str(inputs["role"]),
        "Handler": str(inputs["handler"]),
        "Runtime": str(inputs["runtime"]),
        "Timeout": integral(inputs.get("timeout", 3)),
        "MemorySize": integral(inputs.get("memorySize", 128)),
        "Description": str(inputs.get("description") or ""),
        "Layers": [str(arn) for arn in inputs.get("layers") or []],
        "Environment": {"Variables": {**local, **declared}},
    }
    config.update(given(inputs, "loggingConfig", "tracingConfig", "deadLetterConfig", shape=pascal))
    return config


_POLL_SECONDS = 0.05


def _wait_until_ready(client: Any, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + _ACTIVE_WAIT_SECONDS
    while True:
        config: dict[str, Any] = client.get_function_configuration(FunctionName=name)
        pending = config.get("State") == "Pending" or config.get("LastUpdateStatus") == "InProgress"
        if not pending or time.monotonic() > deadline:
            return config
        time.sleep(_POLL_SECONDS)


def _update(
    client: Any,
    name: str,
    *,
    code: dict[str, Any] | None,
    config: dict[str, Any] | None,
    architectures: list[str],
) -> dict[str, Any]:
    """Update what changed of an existing function (``None``: that part did not change); its
    configuration as the answer."""
    answer: dict[str, Any] | None = None
    if code is not None:
        answer = client.update_function_code(FunctionName=name, Architectures=architectures, **code)
    if config is not None:
        if code is not None:  # AWS refuses a configuration update while the code update runs
            _wait_until_ready(client, name)
        answer = client.update_function_configuration(FunctionName=name, **config)
    if answer is None:
        answer = client.get_function_configuration(FunctionName=name)
    return answer


def _delete_function(ctx: DeployContext, record: Record) -> None:
    ctx.aws("lambda").delete_function(FunctionName=record["id"])


@handles(FUNCTION, delete=deleted_by(_delete_function, order=2))
def function(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("lambda")
    inputs = resource.inputs
    name = ctx.name(resource)
    data = archive_bytes(inputs["code"], f"{resource.label} code")
    code_hash = content_hash(data)
    config = _configuration(inputs, ctx.function_environment())
    config_hash = content_hash(json.dumps(config, sort_keys=True, default=str).encode())
    architectures = list(inputs.get("architectures") or ["x86_64"])
    previous_outputs = (resource.previous or {}).get("outputs") or {}

    def create() -> dict[str, Any]:
        answer: dict[str, Any] = client.create_function(
            FunctionName=name,
            Code=code_location(ctx, data),
            Architectures=architectures,
            Tags={str(k): str(v) for k, v in (inputs.get("tags") or {}).items()},
            **config,
        )
        return answer

    def update(code_changed: bool, config_changed: bool) -> dict[str, Any]:
        return _update(
            client,
            name,
            code=code_location(ctx, data) if code_changed else None,
            config=config if config_changed else None,
            architectures=architectures,
        )

    try:
        if previous_outputs.get("name") == name:  # deployed before: update what changed
            answer = update_or_create(
                name,
                lambda _: update(
                    previous_outputs.get("codeHash") != code_hash,
                    previous_outputs.get("configHash") != config_hash,
                ),
                create,
                gone="ResourceNotFoundException",
            )
        else:
            answer = create_or_replace(
                create, lambda: update(True, True), exists="ResourceConflictException"
            )
    except Exception as error:
        raise fail(resource, f"deploying function {name}", error) from error
    ctx.at_end(lambda: _wait_until_ready(client, name))
    reserved = inputs.get("reservedConcurrentExecutions")
    if reserved is not None and integral(reserved) >= 0:
        client.put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=integral(reserved)
        )
    arn = str(answer.get("FunctionArn") or ctx.arn("lambda", f"function:{name}"))
    invoke_arn = (
        f"arn:aws:apigateway:{ctx.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    )
    return Created(
        id=name,
        outputs={
            "name": name,
            "arn": arn,
            "invokeArn": invoke_arn,
            "qualifiedArn": f"{arn}:$LATEST",
            "qualifiedInvokeArn": invoke_arn.replace(arn, f"{arn}:$LATEST"),
            "version": "$LATEST",
            "codeHash": code_hash,
            "configHash": config_hash,
            "codeSha256": str(answer.get("CodeSha256", "")),
            "sourceCodeHash": code_hash,
        },
    )


def _remove_permission(ctx: DeployContext, record: Record) -> None:
    ctx.aws("lambda").remove_permission(
        FunctionName=recorded_output(record, "function"), StatementId=record["id"]
    )


@handles("aws:lambda/permission:Permission", delete=deleted_by(_remove_permission, order=0))
def permission(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("lambda")
    inputs = resource.inputs
    function_name = str(inputs["function"])
    statement = str(
        inputs.get("statementId") or physical_name(resource.urn, resource.name, max_length=100)
    )
    args: dict[str, Any] = {
        "FunctionName": function_name,
        "StatementId": statement,
        "Action": str(inputs.get("action") or "lambda:InvokeFunction"),
        "Principal": str(inputs["principal"]),
    }
    args.update(given(inputs, "sourceArn", "sourceAccount"))

    def replace() -> None:
        client.remove_permission(FunctionName=function_name, StatementId=statement)
        client.add_permission(**args)

    try:
        create_or_replace(
            lambda: client.add_permission(**args), replace, exists="ResourceConflictException"
        )
    except Exception as error:
        raise fail(resource, f"AddPermission on {function_name}", error) from error
    return Created(id=statement, outputs={"statementId": statement})


def _delete_event_source_mapping(ctx: DeployContext, record: Record) -> None:
    ctx.aws("lambda").delete_event_source_mapping(UUID=record["id"])


@handles(
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    delete=deleted_by(_delete_event_source_mapping, order=0),
)
def event_source_mapping(ctx: DeployContext, resource: Resource) -> Created:
    client = ctx.aws("lambda")
    inputs = resource.inputs
    args: dict[str, Any] = {
        "FunctionName": str(inputs["functionName"]),
        "Enabled": bool(inputs.get("enabled", True)),
    }
    for key, wire in (
        ("batchSize", "BatchSize"),
        ("maximumBatchingWindowInSeconds", "MaximumBatchingWindowInSeconds"),
        ("functionResponseTypes", "FunctionResponseTypes"),
        ("scalingConfig", "ScalingConfig"),
        ("filterCriteria", "FilterCriteria"),
    ):
        if inputs.get(key) is not None:
            args[wire] = pascal(inputs[key])

    def update(uuid: str) -> dict[str, Any]:
        answer = client.update_event_source_mapping(UUID=uuid, **args)
        return {"uuid": uuid, "functionArn": answer.get("FunctionArn")}

    def create() -> dict[str, Any]:
        args["EventSourceArn"] = str(inputs["eventSourceArn"])
        if inputs.get("startingPosition"):
            args["StartingPosition"] = str(inputs["startingPosition"])
        answer = client.create_event_source_mapping(**args)
        return {"uuid": str(answer["UUID"]), "functionArn": answer.get("FunctionArn")}

    try:
        outputs = update_or_create(
            resource.previous_id(), update, create, gone="ResourceNotFoundException"
        )
    except Exception as error:
        source = inputs.get("eventSourceArn")
        raise fail(resource, f"CreateEventSourceMapping {source}", error) from error
    return Created(id=outputs["uuid"], outputs=outputs)


def _delete_event_invoke_config(ctx: DeployContext, record: Record) -> None:
    ctx.aws("lambda").delete_function_event_invoke_config(FunctionName=record["id"])


@handles(
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    delete=deleted_by(_delete_event_invoke_config, order=1),
)
def event_invoke_config(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    name = str(inputs["functionName"])
    args: dict[str, Any] = {"FunctionName": name}
    if inputs.get("maximumRetryAttempts") is not None:
        args["MaximumRetryAttempts"] = integral(inputs["maximumRetryAttempts"])
    if inputs.get("maximumEventAgeInSeconds") is not None:
        args["MaximumEventAgeInSeconds"] = integral(inputs["maximumEventAgeInSeconds"])
    args.update(given(inputs, "destinationConfig", shape=pascal))
    try:
        ctx.aws("lambda").put_function_event_invoke_config(**args)
    except Exception as error:
        raise fail(resource, f"PutFunctionEventInvokeConfig {name}", error) from error
    return Created(id=name)
