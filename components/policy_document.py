"""IAM policy documents built from link statements, with outputs resolved inside.

Pure helpers in the awsx style: components hand them :class:`IamStatement`s (whose ARNs may be
``pulumi.Output``s) and get a JSON policy document ``Output[str]`` back. Keeping this in one place
means every role in hybridstack is written the same way and tests can read the JSON.

Example:
    doc = policy_document([IamStatement(["sqs:SendMessage"], [queue.arn])])
    aws.iam.RolePolicy("send", role=role.id, policy=doc)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi

from hybridstack.components.link import IamStatement


def statement_dict(statement: IamStatement, sid: str | None = None) -> dict[str, Any]:
    """One statement as the (possibly output-bearing) dict of an IAM policy document."""
    if not statement.actions:
        raise ValueError("an IAM statement needs at least one action")
    if not statement.resources:
        raise ValueError(f"IAM statement for {', '.join(statement.actions)} names no resource")
    doc: dict[str, Any] = {
        "Effect": "Allow",
        "Action": sorted(set(statement.actions)),
        "Resource": list(statement.resources),
    }
    if sid:
        doc["Sid"] = sid
    if statement.conditions:
        doc["Condition"] = {op: dict(values) for op, values in statement.conditions.items()}
    return doc


def policy_json(statements: Iterable[Mapping[str, Any]]) -> str:
    """The JSON of a policy document (``Version`` 2012-10-17) of statements written out in full.

    Example:
        policy_json([{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                      "Action": "sqs:SendMessage", "Resource": queue_arn}])
    """
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def policy_document(
    statements: Iterable[IamStatement | Mapping[str, Any]],
) -> pulumi.Output[str]:
    """A JSON policy document holding exactly ``statements`` (dicts are taken as written)."""
    docs = [statement_dict(s) if isinstance(s, IamStatement) else dict(s) for s in statements]
    if not docs:
        raise ValueError("a policy document needs at least one statement")
    return pulumi.Output.from_input(docs).apply(policy_json)


def assume_role_policy(service: str, conditions: Mapping[str, Any] | None = None) -> str:
    """The trust policy letting a service principal (``lambda.amazonaws.com``) assume a role."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = dict(conditions)
    return policy_json([statement])
