"""IAM roles and their inline policies, created for real (MiniStack enforces them with AUTH=true).

Example (what the program declares -> what is called):
    aws.iam.Role("api", assume_role_policy=...)        -> CreateRole (UpdateAssumeRolePolicy later)
    aws.iam.RolePolicy("api", role=role.id, policy=..)  -> PutRolePolicy
"""

from __future__ import annotations

from typing import Any

from hybridstack.emulators.deploy.context import DeployContext, error_code, fail
from hybridstack.emulators.deploy.registry import (
    Created,
    Record,
    Resource,
    deleted_by,
    handles,
    recorded_output,
)
from hybridstack.emulators.deploy.shapes import tags_list

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def _delete_role(ctx: DeployContext, record: Record) -> None:
    ctx.aws("iam").delete_role(RoleName=record["id"])


@handles(ROLE, delete=deleted_by(_delete_role, order=3))
def role(ctx: DeployContext, resource: Resource) -> Created:
    iam = ctx.aws("iam")
    inputs = resource.inputs
    name = ctx.name(resource)
    path = str(inputs.get("path") or "/")
    try:
        created: dict[str, Any] = iam.create_role(
            RoleName=name,
            Path=path,
            AssumeRolePolicyDocument=str(inputs["assumeRolePolicy"]),
            Description=str(inputs.get("description") or ""),
            Tags=tags_list(inputs.get("tags")),
        )["Role"]
    except Exception as error:
        if error_code(error) != "EntityAlreadyExists":
            raise fail(resource, f"CreateRole {name}", error) from error
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=str(inputs["assumeRolePolicy"]))
        created = iam.get_role(RoleName=name)["Role"]
    arn = created.get("Arn") or f"arn:aws:iam::{ctx.account_id}:role{path}{name}"
    return Created(
        id=name,
        outputs={"name": name, "arn": arn, "uniqueId": created.get("RoleId", name)},
    )


def _delete_role_policy(ctx: DeployContext, record: Record) -> None:
    ctx.aws("iam").delete_role_policy(
        RoleName=recorded_output(record, "role"), PolicyName=recorded_output(record, "name")
    )


@handles(ROLE_POLICY, delete=deleted_by(_delete_role_policy, order=1))
def role_policy(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    role_name = str(inputs["role"]).rsplit("/", 1)[-1]  # a role name or ARN
    name = ctx.name(resource, max_length=128)
    try:
        ctx.aws("iam").put_role_policy(
            RoleName=role_name, PolicyName=name, PolicyDocument=str(inputs["policy"])
        )
    except Exception as error:
        raise fail(resource, f"PutRolePolicy {role_name}/{name}", error) from error
    return Created(id=f"{role_name}:{name}", outputs={"name": name, "role": role_name})
