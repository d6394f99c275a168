"""KMS keys and aliases (the alert topic and Aurora secrets are encrypted with them).

Example:
    aws.kms.Key("ops", policy=...)           -> CreateKey (its KeyId and ARN are the outputs)
    aws.kms.Alias("ops", target_key_id=...)  -> CreateAlias
"""

from __future__ import annotations

from hybridstack.emulators.deploy.context import DeployContext, error_code, fail
from hybridstack.emulators.deploy.registry import Created, Record, Resource, deleted_by, handles
from hybridstack.emulators.deploy.shapes import tags_list

KEY_DELETION_WINDOW_DAYS = 7
"""The waiting period of a key scheduled for deletion when the program sets none (Pulumi's and
KMS's shortest, 7 days; ``deletion_window_in_days`` sets it)."""


def _schedule_key_deletion(ctx: DeployContext, record: Record) -> None:
    """KMS never deletes a key at once: it is disabled and scheduled for deletion, as on AWS."""
    window = (record.get("outputs") or {}).get("deletionWindowInDays") or KEY_DELETION_WINDOW_DAYS
    ctx.aws("kms").schedule_key_deletion(KeyId=record["id"], PendingWindowInDays=int(window))


@handles("aws:kms/key:Key", delete=deleted_by(_schedule_key_deletion, order=4))
def key(ctx: DeployContext, resource: Resource) -> Created:
    kms = ctx.aws("kms")
    inputs = resource.inputs
    previous = resource.previous_id()
    if previous:
        try:
            metadata = kms.describe_key(KeyId=previous)["KeyMetadata"]
            if inputs.get("policy"):
                kms.put_key_policy(KeyId=previous, PolicyName="default", Policy=inputs["policy"])
            return Created(id=previous, outputs={"keyId": previous, "arn": metadata["Arn"]})
        except Exception as error:
            if error_code(error) != "NotFoundException":
                raise fail(resource, f"DescribeKey {previous}", error) from error
    tags = tags_list(inputs.get("tags"))
    spec = inputs.get("customerMasterKeySpec") or inputs.get("keySpec") or "SYMMETRIC_DEFAULT"
    args = {
        "Description": str(inputs.get("description") or ""),
        "KeyUsage": str(inputs.get("keyUsage") or "ENCRYPT_DECRYPT"),
        "KeySpec": str(spec),
        "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tags],
    }
    if inputs.get("policy"):
        args["Policy"] = str(inputs["policy"])
    try:
        metadata = kms.create_key(**args)["KeyMetadata"]
        if inputs.get("enableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
    except Exception as error:
        raise fail(resource, "CreateKey", error) from error
    return Created(
        id=metadata["KeyId"], outputs={"keyId": metadata["KeyId"], "arn": metadata["Arn"]}
    )


def _delete_alias(ctx: DeployContext, record: Record) -> None:
    ctx.aws("kms").delete_alias(AliasName=record["id"])


@handles("aws:kms/alias:Alias", delete=deleted_by(_delete_alias, order=0))
def alias(ctx: DeployContext, resource: Resource) -> Created:
    kms = ctx.aws("kms")
    name = ctx.name(resource, prefix_input="namePrefix", max_length=256)
    if not name.startswith("alias/"):
        name = f"alias/{name}"
    target = str(resource.inputs["targetKeyId"])
    try:
        kms.create_alias(AliasName=name, TargetKeyId=target)
    except Exception as error:
        if error_code(error) != "AlreadyExistsException":
            raise fail(resource, f"CreateAlias {name}", error) from error
        kms.update_alias(AliasName=name, TargetKeyId=target)
    return Created(id=name, outputs={"name": name, "arn": ctx.arn("kms", name)})
