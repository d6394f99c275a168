"""Secrets Manager secrets (values are set out of band, as on AWS) and secret versions.

Example:
    aws.secretsmanager.Secret("youtube-token")  -> CreateSecret youtube-token-1a2b3c4
"""

from __future__ import annotations

from hybridstack.emulators.deploy.context import DeployContext, error_code, fail
from hybridstack.emulators.deploy.registry import (
    Created,
    Record,
    Resource,
    deleted_by,
    handles,
    nothing_to_delete,
)
from hybridstack.emulators.deploy.shapes import tags_list


def _delete_secret(ctx: DeployContext, record: Record) -> None:
    """Deleted after the secret's recovery window (``recovery_window_in_days``; AWS's 30 days when
    unset), or at once when the program sets 0, as on AWS."""
    window = (record.get("outputs") or {}).get("recoveryWindowInDays")
    if window is not None and int(window) == 0:
        ctx.aws("secretsmanager").delete_secret(
            SecretId=record["id"], ForceDeleteWithoutRecovery=True
        )
        return
    args = {} if window is None else {"RecoveryWindowInDays": int(window)}
    ctx.aws("secretsmanager").delete_secret(SecretId=record["id"], **args)


@handles("aws:secretsmanager/secret:Secret", delete=deleted_by(_delete_secret, order=3))
def secret(ctx: DeployContext, resource: Resource) -> Created:
    sm = ctx.aws("secretsmanager")
    inputs = resource.inputs
    name = ctx.name(resource, max_length=512)
    args = {"Name": name, "Description": str(inputs.get("description") or "")}
    if inputs.get("kmsKeyId"):
        args["KmsKeyId"] = str(inputs["kmsKeyId"])
    if inputs.get("tags"):
        args["Tags"] = tags_list(inputs["tags"])  # type: ignore[assignment]
    try:
        arn = sm.create_secret(**args)["ARN"]
    except Exception as error:
        if error_code(error) != "ResourceExistsException":
            raise fail(resource, f"CreateSecret {name}", error) from error
        arn = sm.describe_secret(SecretId=name)["ARN"]
    return Created(id=arn, outputs={"name": name, "arn": arn})


@handles(
    "aws:secretsmanager/secretVersion:SecretVersion",
    delete=nothing_to_delete(
        "a secret's value goes with its secret (the version is no resource of its own locally)"
    ),
)
def secret_version(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    secret_id = str(inputs["secretId"])
    args = {"SecretId": secret_id}
    if inputs.get("secretString") is not None:
        args["SecretString"] = str(inputs["secretString"])
    try:
        version = ctx.aws("secretsmanager").put_secret_value(**args)["VersionId"]
    except Exception as error:
        raise fail(resource, f"PutSecretValue {secret_id}", error) from error
    return Created(id=f"{secret_id}|{version}", outputs={"versionId": version, "arn": secret_id})
