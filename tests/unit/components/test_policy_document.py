"""The pure helpers behind every role and per-stack default."""

from __future__ import annotations

import json

import pulumi
import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.link import IamStatement
from hybridstack.components.policy_document import (
    assume_role_policy,
    policy_document,
    statement_dict,
)
from hybridstack.components.stack_defaults import (
    default_log_retention_days,
    is_local,
    is_production,
    log_retention_days,
)


@pulumi.runtime.test
def test_policy_document_resolves_outputs_inside_statements() -> pulumi.Output[None]:
    arn = pulumi.Output.from_input("arn:aws:sqs:us-east-1:1:jobs")
    document = policy_document(
        [
            IamStatement(["sqs:SendMessage", "sqs:SendMessage"], [arn]),
            IamStatement(
                ["s3:GetObject"],
                ["arn:aws:s3:::b/*"],
                conditions={"StringEquals": {"s3:ExistingObjectTag/public": arn}},
            ),
        ]
    )

    def check(text: str) -> None:
        statements = json.loads(text)["Statement"]
        assert statements[0] == {
            "Action": ["sqs:SendMessage"],
            "Effect": "Allow",
            "Resource": ["arn:aws:sqs:us-east-1:1:jobs"],
        }
        assert statements[1]["Condition"] == {
            "StringEquals": {"s3:ExistingObjectTag/public": "arn:aws:sqs:us-east-1:1:jobs"}
        }

    return document.apply(check)


def test_empty_statements_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one action"):
        statement_dict(IamStatement([], ["arn"]))
    with pytest.raises(ValueError, match="names no resource"):
        statement_dict(IamStatement(["s3:GetObject"], []))
    with pytest.raises(ValueError, match="at least one statement"):
        policy_document([])


def test_assume_role_policy_names_the_service() -> None:
    (statement,) = json.loads(assume_role_policy("lambda.amazonaws.com"))["Statement"]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"


def test_stack_kinds_and_retention() -> None:
    assert [is_production(s) for s in ("prod", "prod-eu", "dev")] == [True, True, False]
    assert [is_local(s) for s in ("local", "local-ci", "prod")] == [True, True, False]
    assert default_log_retention_days("production") == 30
    assert default_log_retention_days("staging") == 30
    assert log_retention_days(14, owner="X") == 14
    with pytest.raises(ComponentArgsError, match=r"X: log_retention_days=True"):
        log_retention_days(True, owner="X")
